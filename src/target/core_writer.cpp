#include "target/core_writer.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/hex.hpp"
#include "target/core_copy_plan.hpp"
#include "target/core_dump_layout.hpp"
#include "target/core_memory_copier.hpp"
#include "target/core_notes_writer.hpp"
#include "target/core_output_file.hpp"
#include "target/core_process_info.hpp"
#include "target/pause_guard.hpp"
#include "target/proc_fs.hpp"

namespace corostack {
namespace {

static_assert(sizeof(user_fpregs_struct) == sizeof(DumpThread::fpregs));

// Largest NT_X86_XSTATE we accept (AMX tile data makes it about 11 KiB).
constexpr size_t kMaxXstate = 32 * 1024;
// Past this many, unreadable-page warnings are summarised.
constexpr size_t kMaxUnreadableWarnings = 16;

// Reads every stopped thread's registers. Threads that exited during the
// pause are dropped; threads that would not stop stay, with no registers.
std::vector<DumpThread> read_thread_registers(const PauseGuard& guard,
                                              std::unordered_map<pid_t, DumpThread>& before,
                                              std::vector<std::byte>& scratch,
                                              std::vector<std::string>& warnings) {
  std::vector<DumpThread> threads;
  for (const PausedThread& pt : guard.threads()) {
    if (!pt.stopped) {
      std::string task = "/proc/" + std::to_string(guard.pid()) + "/task/" + std::to_string(pt.tid);
      if (::access(task.c_str(), F_OK) != 0) continue;  // exited
    }
    DumpThread t;
    if (auto it = before.find(pt.tid); it != before.end()) {
      t = std::move(it->second);
    } else if (auto st = read_proc_stat(guard.pid(), pt.tid)) {
      t.name = st->comm;  // appeared after the listing; its state then is unknown
    }
    t.tid = pt.tid;
    if (!pt.stopped) {
      warnings.push_back("thread " + std::to_string(pt.tid) +
                         ": no registers in the core: " + pt.error);
      threads.push_back(std::move(t));
      continue;
    }
    if (::ptrace(PTRACE_GETREGS, pt.tid, nullptr, &t.regs) == 0) {
      t.regs_valid = true;
    } else {
      int err = errno;
      warnings.push_back("thread " + std::to_string(pt.tid) +
                         ": PTRACE_GETREGS: " + std::strerror(err));
    }
    t.fpregs_valid = ::ptrace(PTRACE_GETFPREGS, pt.tid, nullptr, t.fpregs.data()) == 0;
    iovec iov{scratch.data(), scratch.size()};
    if (::ptrace(PTRACE_GETREGSET, pt.tid, reinterpret_cast<void*>(NT_X86_XSTATE), &iov) == 0)
      t.xstate.assign(scratch.begin(), scratch.begin() + static_cast<ptrdiff_t>(iov.iov_len));
    threads.push_back(std::move(t));
  }
  // The main thread first: gdb and the kernel treat the first NT_PRSTATUS as
  // the process's current thread.
  pid_t pid = guard.pid();
  std::sort(threads.begin(), threads.end(), [pid](const DumpThread& a, const DumpThread& b) {
    if ((a.tid == pid) != (b.tid == pid)) return a.tid == pid;
    return a.tid < b.tid;
  });
  return threads;
}

// Staging everything keeps file writes out of the pause; a quarter of the
// available memory keeps the staging from pushing the machine into reclaim.
uint64_t staging_limit(const CoreWriteOptions& opts) {
  if (opts.staging_limit_bytes) return opts.staging_limit_bytes;
  constexpr uint64_t kFallback = uint64_t{256} << 20;
  auto meminfo = read_text_file("/proc/meminfo", 1 << 16);
  if (!meminfo) return kFallback;
  size_t p = meminfo->find("MemAvailable:");
  if (p == std::string::npos) return kFallback;
  uint64_t kib = std::strtoull(meminfo->c_str() + p + 13, nullptr, 10);
  return kib ? kib * 1024 / 4 : kFallback;
}

// A buffer big enough to stage the whole dump when memory allows, sized from
// the mappings as they are now (they may change slightly by the pause).
size_t staging_capacity(pid_t pid, PagemapReader& pagemap, const CoreWriteOptions& opts,
                        const std::vector<DumpExclusion>& excluded) {
  uint64_t limit = staging_limit(opts);
  auto text = read_text_file("/proc/" + std::to_string(pid) + "/maps");
  if (!text) return static_cast<size_t>(std::min<uint64_t>(limit, uint64_t{64} << 20));
  auto layout =
      plan_dump_layout(parse_proc_maps(*text), 0, opts.include_file_backed_readonly, excluded);
  uint64_t estimate = total_copy_bytes(plan_dump_copy(layout, pagemap));
  uint64_t with_slack = estimate + estimate / 8 + (1 << 20);
  return static_cast<size_t>(std::min(with_slack, limit));
}

void add_unreadable_warnings(const DumpLayout& layout, const std::map<uint32_t, uint64_t>& bad,
                             std::vector<std::string>& warnings) {
  size_t shown = 0;
  for (const auto& [segment, pages] : bad) {
    if (shown++ == kMaxUnreadableWarnings) {
      warnings.push_back("unreadable pages in " +
                         std::to_string(bad.size() - kMaxUnreadableWarnings) + " more mappings");
      break;
    }
    const MemoryMap& m = layout.segments[segment].map;
    warnings.push_back(std::to_string(pages) + " unreadable page(s) in " +
                       hex_address(m.start.value()) + "-" + hex_address(m.end.value()) +
                       (m.path.empty() ? "" : " " + m.path) + ": written as zeros");
  }
}

}  // namespace

Result<CoreWriteStats> write_core(LiveProcess& proc, const std::string& out_path,
                                  const CoreWriteOptions& opts) {
  CoreOutputFile out(out_path);
  if (auto st = out.open(); !st) return st.error();
  auto stats = write_core(proc, out, opts);
  if (!stats) return stats;
  if (auto st = out.rename_into_place(); !st) return st.error();
  return stats;
}

Result<CoreWriteStats> write_core(LiveProcess& proc, CoreOutputFile& out,
                                  const CoreWriteOptions& opts) {
  const pid_t pid = proc.pid();
  const std::string proc_dir = "/proc/" + std::to_string(pid);
  CoreWriteStats stats;

  // LiveProcess accepts a process whose main thread has exited (a zombie
  // leader, other threads alive), but the core writer reads the address
  // space through /proc/PID, which is empty for it: say so.
  if (auto st = read_proc_stat(pid); st && (st->state == 'Z' || st->state == 'X'))
    return make_error(ErrorKind::kUnsupported,
                      "the main thread of process " + std::to_string(pid) +
                          " has exited (its other threads run on): gcore cannot write its core; "
                          "corostack dump reads it");

  // Before the pause: everything that does not need the target stopped.
  auto info = read_dump_process_info(pid);
  if (!info) return info.error();
  if (opts.fd_table) info->fds = opts.fd_table(pid);
  auto before = read_dump_threads(pid);
  PagemapReader pagemap(pid);
  auto excluded = read_dump_exclusions(pid);
  auto copier =
      CoreMemoryCopier::create(pid, out.fd(), staging_capacity(pid, pagemap, opts, excluded));
  if (!copier) return copier.error();
  std::vector<std::byte> xstate_scratch(kMaxXstate);

  auto guard = PauseGuard::pause(pid, opts.stop_deadline);
  if (!guard) return guard.error();
  // Paused: registers, then the mappings as they are now, then memory.
  auto threads = read_thread_registers(**guard, before, xstate_scratch, stats.warnings);
  auto maps_text = read_text_file(proc_dir + "/maps");
  if (!maps_text) return maps_text.error();
  auto maps = parse_proc_maps(*maps_text);
  auto notes = build_dump_notes(*info, threads, maps);
  auto layout = plan_dump_layout(maps, notes.size(), opts.include_file_backed_readonly, excluded);
  auto runs = plan_dump_copy(layout, pagemap);
  auto copied = (*copier)->copy(runs);
  hold_pause_for_tests();
  (*guard)->resume();
  stats.pause_ns = (*guard)->paused_ns();
  if (!copied) return copied.error();

  // Running again: write what was staged, then headers and notes.
  if ((*copier)->flushes_during_copy() > 0) {
    stats.warnings.push_back("memory exceeded the " + std::to_string((*copier)->capacity() >> 20) +
                             " MiB staging buffer; part of it was written during the pause");
  }
  (*copier)->set_progress(opts.progress);
  if (auto st = (*copier)->flush(); !st) return st.error();
  auto headers = build_dump_headers(layout);
  headers.insert(headers.end(), notes.begin(), notes.end());
  if (auto st = out.write_at(0, headers); !st) return st.error();
  if (auto st = out.finish(layout.file_size); !st) return st.error();

  stats.bytes_written = (*copier)->bytes_written() + headers.size();
  stats.threads = threads.size();
  stats.segments = layout.segments.size();
  stats.segments_unreadable = (*copier)->unreadable_pages().size();
  add_unreadable_warnings(layout, (*copier)->unreadable_pages(), stats.warnings);
  return stats;
}

}  // namespace corostack
