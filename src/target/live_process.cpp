#include "target/live_process.hpp"

#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_set>

#include "base/checked.hpp"
#include "base/pages.hpp"
#include "target/access_policy.hpp"
#include "target/core_copy_plan.hpp"
#include "target/pause_guard.hpp"
#include "target/proc_fs.hpp"
#include "target/proc_syscall.hpp"

namespace corostack {
namespace {

// Reads larger than this go straight to the process, not through the cache.
constexpr size_t kMaxCachedRead = 64 * 1024;
constexpr size_t kPagesPerFill = 4;   // pages read per cache miss
constexpr size_t kPagesPerSlab = 64;  // pages per cache allocation
// A process_vm_readv transfer shorter than this stopped at an unreadable page.
constexpr size_t kShortReadLimit = size_t{1} << 30;
// The x86-64 ABI lets leaf functions use 128 bytes below the stack pointer.
constexpr uint64_t kRedZone = 128;

std::string proc_path(pid_t pid, const char* leaf) {
  return "/proc/" + std::to_string(pid) + "/" + leaf;
}

int tracer_of(pid_t pid) {
  auto status = read_text_file(proc_path(pid, "status"), 1 << 16);
  if (!status) return 0;
  size_t p = status->find("TracerPid:");
  if (p == std::string::npos) return 0;
  return std::atoi(status->c_str() + p + 10);
}

// A thread of pid that is neither a zombie nor dead, or 0.
pid_t live_thread(pid_t pid) {
  auto tids = list_tasks(pid);
  if (!tids) return 0;
  for (pid_t tid : *tids) {
    auto st = read_proc_stat(pid, tid);
    if (st && st->state != 'Z' && st->state != 'X') return tid;
  }
  return 0;
}

}  // namespace

Result<std::unique_ptr<LiveProcess>> LiveProcess::open(pid_t pid) {
  if (pid <= 0) return make_error(ErrorKind::kUsage, "invalid pid " + std::to_string(pid));
  if (pid == ::getpid()) return make_error(ErrorKind::kUsage, "corostack cannot inspect itself");
  auto stat = read_proc_stat(pid);
  if (!stat) {
    if (stat.error().kind == ErrorKind::kNotFound)
      return make_error(ErrorKind::kNotFound, "no such process: " + std::to_string(pid));
    return stat.error();
  }
  // A process whose main thread called pthread_exit shows its leader as a
  // zombie while its other threads run on: that one is alive and readable,
  // through a live thread's /proc entries.
  pid_t mem_pid = pid;
  if (stat->state == 'Z' || stat->state == 'X') mem_pid = live_thread(pid);
  if (mem_pid == 0)
    return make_error(ErrorKind::kGone,
                      "process " + std::to_string(pid) +
                          " is a zombie (it has exited; its parent has not reaped it)");
  if (is_kernel_thread(*stat))
    return make_error(
        ErrorKind::kUnsupported,
        "pid " + std::to_string(pid) + " is a kernel thread; it has no user space to inspect");
  // Traced by us is fine: `trace --py` reads the process it traces.
  if (int tracer = tracer_of(pid); tracer != 0 && tracer != ::getpid())
    return make_error(ErrorKind::kPermission,
                      "process " + std::to_string(pid) + " is already being traced by pid " +
                          std::to_string(tracer) + " (a debugger or strace?); detach it first");

  // A privileged corostack inspects only what its caller could (access_policy.hpp).
  if (auto allowed = check_may_inspect(mem_pid); !allowed) return allowed.error();

  std::unique_ptr<LiveProcess> p(new LiveProcess(pid));
  p->mem_pid_ = mem_pid;
  p->comm_ = stat->comm;
  auto maps_text = read_text_file(proc_path(mem_pid, "maps"));
  if (!maps_text) {
    if (maps_text.error().kind == ErrorKind::kPermission)
      return make_error(ErrorKind::kPermission, ptrace_permission_help(pid));
    return maps_text.error();
  }
  p->maps_ = parse_proc_maps(*maps_text);
  if (auto cmd = read_text_file(proc_path(mem_pid, "cmdline"), 1 << 16)) {
    std::string c = *cmd;
    while (!c.empty() && c.back() == '\0') c.pop_back();
    std::replace(c.begin(), c.end(), '\0', ' ');
    p->cmdline_ = c;
  }
  char buf[4096];
  ssize_t n = ::readlink(proc_path(mem_pid, "exe").c_str(), buf, sizeof buf - 1);
  if (n > 0) {
    p->exe_.assign(buf, static_cast<size_t>(n));
    // A replaced or deleted executable still runs; its path gets this suffix.
    if (p->exe_.ends_with(" (deleted)")) p->exe_.resize(p->exe_.size() - 10);
  }
  return p;
}

LiveProcess::~LiveProcess() {
  if (mem_fd_ >= 0) ::close(mem_fd_);
}

std::string LiveProcess::host_path(const std::string& path) const {
  // Through the target's root so that processes in containers resolve their own files.
  return "/proc/" + std::to_string(mem_pid_) + "/root" + path;
}

std::string LiveProcess::mapping_host_path(const MemoryMap& m) const {
  // A file deleted or replaced (a package upgrade under a running service)
  // is no longer at its path, or a different file is; map_files still opens
  // the one actually mapped. It needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE.
  if (m.path.ends_with(" (deleted)")) {
    char range[64];
    std::snprintf(range, sizeof range, "%lx-%lx", static_cast<unsigned long>(m.start.value()),
                  static_cast<unsigned long>(m.end.value()));
    return "/proc/" + std::to_string(mem_pid_) + "/map_files/" + range;
  }
  return host_path(m.path);
}

std::vector<AuxvEntry> LiveProcess::auxv() const {
  std::vector<AuxvEntry> out;
  auto text = read_text_file(proc_path(mem_pid_, "auxv"), 1 << 16);
  if (!text) return out;
  for (size_t off = 0; off + 16 <= text->size(); off += 16) {
    AuxvEntry e;
    std::memcpy(&e.type, text->data() + off, 8);
    std::memcpy(&e.value, text->data() + off + 8, 8);
    if (e.type == 0) break;
    out.push_back(e);
  }
  return out;
}

ReadResult LiveProcess::read_proc_mem(RemoteAddr addr, std::span<std::byte> out) const {
  if (mem_fd_ < 0) {
    mem_fd_ = ::open(proc_path(mem_pid_, "mem").c_str(), O_RDONLY | O_CLOEXEC);
    if (mem_fd_ < 0) return {0, errno_kind(errno)};
  }
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(mem_fd_, out.data() + done, out.size() - done,
                        static_cast<off_t>(addr.value() + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return {done, n < 0 ? errno_kind(errno) : ErrorKind::kUnreadable};
    done += static_cast<size_t>(n);
  }
  return {done, ErrorKind::kUnreadable};
}

ReadResult LiveProcess::read_uncached(RemoteAddr addr, std::span<std::byte> out) const {
  if (out.empty()) return {0, ErrorKind::kUnreadable};
  if (!checked_add(addr.value(), out.size())) return {0, ErrorKind::kUnreadable};
  // Nothing is mapped in page zero or above x86-64's user space (57 bits with
  // five-level paging). Stack words tried as pointers (the frame-pointer
  // guess, CFI on garbage) land there thousands of times per dump; each
  // would cost a failed system call.
  constexpr uint64_t kFirstUserPage = 4096, kUserSpaceEnd = uint64_t{1} << 56;
  if (addr.value() < kFirstUserPage || addr.value() + out.size() > kUserSpaceEnd)
    return {0, ErrorKind::kUnreadable};
  if (vm_readv_works_) {
    size_t done = 0;
    while (done < out.size()) {
      iovec local{out.data() + done, out.size() - done};
      iovec remote{reinterpret_cast<void*>(addr.value() + done), out.size() - done};
      ssize_t n = ::process_vm_readv(mem_pid_, &local, 1, &remote, 1, 0);
      if (n > 0) {
        done += static_cast<size_t>(n);
        // The call copies page after page until one fails: a short count
        // means the next page is unreadable, and asking again costs a system
        // call that fails (one per cache fill that reaches past the end of a
        // mapping). Only the kernel's cap on one transfer (MAX_RW_COUNT,
        // just under 2 GiB) cuts a readable range short.
        if (done < out.size() && static_cast<size_t>(n) < kShortReadLimit) break;
        continue;
      }
      int e = n < 0 ? errno : EFAULT;
      if (e == EINTR) continue;
      if (e == ENOSYS || (e == EPERM && done == 0)) {
        // Kernels without the call, or seccomp/LSM policies that forbid it
        // but allow /proc/PID/mem.
        vm_readv_works_ = false;
        break;
      }
      return {done, e == ESRCH ? ErrorKind::kGone : errno_kind(e)};
    }
    if (vm_readv_works_) return {done, ErrorKind::kUnreadable};
  }
  return read_proc_mem(addr, out);
}

void LiveProcess::clear_cache() const {
  cache_.clear();
  slabs_.clear();
  slab_free_pages_ = 0;
  last_page_ = 1;
  last_data_ = nullptr;
}

const std::byte* LiveProcess::cached_page(uint64_t page) const {
  if (page == last_page_) return last_data_;
  if (auto it = cache_.find(page); it != cache_.end()) {
    last_page_ = page;
    last_data_ = it->second;
    return it->second;
  }
  if (frozen_) ++frozen_misses_;
  if (slab_free_pages_ < kPagesPerFill) {
    // Not zero-filled: every byte used is read from the target first.
    slabs_.push_back(std::unique_ptr<std::byte[]>(new std::byte[kPagesPerSlab * kPageSize]));
    slab_free_pages_ = kPagesPerSlab;
  }
  std::byte* base = slabs_.back().get() + (kPagesPerSlab - slab_free_pages_) * kPageSize;
  // The aligned block of kPagesPerFill pages around `page`, in one read; the
  // pages read in full are kept. A block that starts in an unmapped page
  // (the gap before a mapping) reads nothing: then read from `page` on.
  uint64_t block = align_down(page, kPageSize * kPagesPerFill);
  auto r = read_uncached(RemoteAddr(block), std::span<std::byte>(base, kPagesPerFill * kPageSize));
  if (r.bytes < page - block + kPageSize && page != block) {
    block = page;
    r = read_uncached(RemoteAddr(block), std::span<std::byte>(base, kPagesPerFill * kPageSize));
  }
  const std::byte* wanted = nullptr;
  size_t used = 0;
  for (size_t i = 0; i < kPagesPerFill && (i + 1) * kPageSize <= r.bytes; ++i) {
    uint64_t p = block + i * kPageSize;
    auto [it, fresh] = cache_.emplace(p, base + i * kPageSize);
    if (p == page) wanted = it->second;
    used = i + 1;
  }
  slab_free_pages_ -= used;
  if (wanted) {
    last_page_ = page;
    last_data_ = wanted;
  }
  return wanted;
}

void LiveProcess::refresh_cache() const {
  std::vector<std::pair<uint64_t, std::byte*>> pages;
  pages.reserve(cache_.size());
  for (const auto& [page, data] : cache_) pages.emplace_back(page, const_cast<std::byte*>(data));
  std::sort(pages.begin(), pages.end());
  std::vector<uint64_t> lost;
  // Runs of pages adjacent both in the target and in our slabs are one iovec
  // pair; IOV_MAX pairs per call.
  constexpr size_t kMaxIov = 1024;
  std::vector<iovec> local, remote;
  std::vector<std::pair<size_t, size_t>> runs;  // [first, last) indices into pages
  auto flush = [&] {
    if (runs.empty()) return;
    size_t want = 0;
    for (const iovec& v : local) want += v.iov_len;
    ssize_t n = vm_readv_works_ ? ::process_vm_readv(mem_pid_, local.data(), local.size(),
                                                     remote.data(), remote.size(), 0)
                                : -1;
    if (n < 0 || static_cast<size_t>(n) != want) {
      // Some page went away (or the call is unavailable): page by page.
      for (auto [first, last] : runs) {
        for (size_t i = first; i < last; ++i) {
          auto r = read_uncached(RemoteAddr(pages[i].first),
                                 std::span<std::byte>(pages[i].second, kPageSize));
          if (r.bytes != kPageSize) lost.push_back(pages[i].first);
        }
      }
    }
    local.clear();
    remote.clear();
    runs.clear();
  };
  for (size_t i = 0; i < pages.size();) {
    size_t j = i + 1;
    while (j < pages.size() && pages[j].first == pages[j - 1].first + kPageSize &&
           pages[j].second == pages[j - 1].second + kPageSize)
      ++j;
    local.push_back({pages[i].second, (j - i) * kPageSize});
    remote.push_back({reinterpret_cast<void*>(pages[i].first), (j - i) * kPageSize});
    runs.emplace_back(i, j);
    if (local.size() == kMaxIov) flush();
    i = j;
  }
  flush();
  for (uint64_t page : lost) cache_.erase(page);
  last_page_ = 1;
  last_data_ = nullptr;
}

ReadResult LiveProcess::read(RemoteAddr addr, std::span<std::byte> out) const {
  // Fast path: most reads are one aligned word (a pointer or a field) on the
  // page read last; a constant-size copy compiles to a single move.
  if (out.size() == 8 && (addr.value() & 7) == 0 &&
      align_down(addr.value(), kPageSize) == last_page_) {
    std::memcpy(out.data(), last_data_ + (addr.value() - last_page_), 8);
    return {8, ErrorKind::kUnreadable};
  }
  if (out.size() > kMaxCachedRead) return read_uncached(addr, out);
  size_t done = 0;
  while (done < out.size()) {
    auto a = checked_add(addr.value(), done);
    if (!a) return {done, ErrorKind::kUnreadable};
    uint64_t page = align_down(*a, kPageSize);
    const std::byte* data = cached_page(page);
    if (!data) {
      // Part of the page may still be readable (a mapping ending mid-page is
      // impossible, but a page may vanish); read the rest directly.
      auto rest = read_uncached(RemoteAddr(*a), out.subspan(done));
      return {done + rest.bytes, rest.error};
    }
    size_t in_page = static_cast<size_t>(*a - page);
    size_t n = std::min<size_t>(kPageSize - in_page, out.size() - done);
    std::memcpy(out.data() + done, data + in_page, n);
    done += n;
  }
  return {done, ErrorKind::kUnreadable};
}

Result<Capture> LiveProcess::capture(const CaptureOptions& options) {
  clear_cache();
  // Names and scheduler states are read before the pause: the state that
  // matters is the one the thread was in, not "traced".
  auto tids = list_tasks(pid_);
  if (!tids) return make_error(ErrorKind::kGone, "process " + std::to_string(pid_) + " went away");
  std::unordered_map<pid_t, ProcStat> before;
  for (pid_t tid : *tids) {
    if (auto st = read_proc_stat(pid_, tid)) before[tid] = *st;
  }

  // One pause; if a thread left running moved meanwhile, again stopping all.
  bool stop_all = options.stop_blocked_threads;
  auto attempt = [&](WalkMode mode) {
    frozen_torn_ = false;
    auto c = pause_once(options, mode, stop_all);
    if (c && frozen_torn_ && !stop_all && !options.nonblocking) {
      stop_all = true;
      uint64_t first = c->pause_ns;
      c = pause_once(options, mode, true);
      if (c) c->pause_ns += first;
    }
    return c;
  };
  Result<Capture> cap = make_error(ErrorKind::kIo, "no capture");
  if (options.warm_up && options.while_paused) {
    // Walk once while the target runs, to learn the pages the walk reads;
    // copy them in the pause; walk the copies after resuming.
    options.while_paused(*this);
    cap = attempt(WalkMode::kAfterResume);
    if (cap && frozen_misses_ > 0) {
      // The walk needed pages the warm-up had not read: the target changed
      // in between. Walk inside a second pause instead, on fresh copies.
      uint64_t first_pause = cap->pause_ns;
      cap = attempt(WalkMode::kInPause);
      if (cap) cap->pause_ns += first_pause;
    }
  } else {
    cap = attempt(WalkMode::kInPause);
  }
  if (!cap) {
    clear_cache();
    return cap.error();
  }
  // Again after the capture: it may have exec'd a setuid program meanwhile.
  if (auto allowed = check_may_inspect(mem_pid_); !allowed) {
    clear_cache();
    return allowed.error();
  }
  for (ThreadState& ts : cap->threads) {
    auto it = before.find(ts.tid);
    if (it != before.end()) {
      ts.name = it->second.comm;
      ts.state = it->second.state;
    } else if (auto st = read_proc_stat(pid_, ts.tid)) {
      ts.name = st->comm;
      ts.state = st->state;
    }
  }
  std::sort(cap->threads.begin(), cap->threads.end(),
            [this](const ThreadState& a, const ThreadState& b) {
              if ((a.tid == pid_) != (b.tid == pid_)) return a.tid == pid_;
              return a.tid < b.tid;
            });
  clear_cache();
  return cap;
}

Result<Capture> LiveProcess::pause_once(const CaptureOptions& options, WalkMode mode,
                                        bool stop_all) {
  Capture cap;
  // Threads asleep in a system call are left running (invariant 7): they
  // cannot touch user memory until the call returns, which we verify below.
  std::unordered_map<pid_t, SyscallSample> blocked;
  std::vector<pid_t> running;  // --nonblocking: threads we do not stop either
  if (!stop_all || options.nonblocking) {
    if (auto tids = list_tasks(pid_)) {
      for (pid_t tid : *tids) {
        auto st = read_proc_stat(pid_, tid);
        auto sc = st && (st->state == 'S' || st->state == 'D') ? read_proc_syscall(pid_, tid)
                                                               : std::nullopt;
        if (sc && sc->nr >= 0) {
          blocked.emplace(tid, *sc);
        } else if (options.nonblocking) {
          running.push_back(tid);
        }
      }
    }
  }
  std::unordered_set<pid_t> leave_alone(running.begin(), running.end());
  for (const auto& [tid, sc] : blocked) leave_alone.insert(tid);
  std::unique_ptr<PauseGuard> guard;
  if (!options.nonblocking) {
    auto g = PauseGuard::pause(pid_, stop_deadline_, leave_alone);
    if (!g) return g.error();
    guard = std::move(*g);
  }
  for (pid_t tid : running) {
    ThreadState ts;
    ts.tid = tid;
    ts.may_be_torn = true;
    ts.error = "running and not stopped (--nonblocking): no registers";
    cap.threads.push_back(std::move(ts));
  }
  // Pages cached before the pause (a warm-up walk) are stale: copy them again.
  if (!cache_.empty()) refresh_cache();

  // Inside the pause: registers, then every stack top in one batch.
  static const std::vector<PausedThread> kNone;
  for (const PausedThread& pt : guard ? guard->threads() : kNone) {
    ThreadState ts;
    ts.tid = pt.tid;
    if (pt.stopped) {
      if (::ptrace(PTRACE_GETREGS, pt.tid, nullptr, &ts.regs) == 0) {
        ts.regs_valid = true;
      } else {
        ts.error = std::string("PTRACE_GETREGS: ") + std::strerror(errno);
      }
    } else {
      ts.error = pt.error;
    }
    cap.threads.push_back(std::move(ts));
  }
  for (auto& [tid, sc] : blocked) {
    // Sampled again now that the others are stopped: this is the state read.
    auto now = read_proc_syscall(pid_, tid);
    if (!now || now->nr < 0) {
      frozen_torn_ = true;  // it woke up in between: stop everything instead
      if (!options.nonblocking) continue;
      ThreadState ts;
      ts.tid = tid;
      ts.may_be_torn = true;
      ts.error = "left its system call before it was read (--nonblocking): no registers";
      cap.threads.push_back(std::move(ts));
      continue;
    }
    sc = *now;
    ThreadState ts;
    ts.tid = tid;
    ts.regs_valid = true;
    ts.regs_partial = true;
    ts.regs.rip = sc.pc;
    ts.regs.rsp = sc.sp;
    ts.regs.orig_rax = static_cast<uint64_t>(sc.nr);
    ts.regs.rdi = sc.args[0];
    ts.regs.rsi = sc.args[1];
    ts.regs.rdx = sc.args[2];
    ts.regs.r10 = sc.args[3];
    ts.regs.r8 = sc.args[4];
    ts.regs.r9 = sc.args[5];
    cap.threads.push_back(std::move(ts));
  }
  cap.threads_left_running = blocked.size();
  for (const ThreadState& ts : cap.threads) {
    if (!ts.regs_valid) continue;
    const MemoryMap* m = find_map(maps_, RemoteAddr(ts.regs.rsp));
    if (!m) continue;
    uint64_t lo = std::max(m->start.value(), ts.regs.rsp > kRedZone ? ts.regs.rsp - kRedZone : 0);
    uint64_t hi = std::min(m->end.value(), ts.regs.rsp + options.max_stack_bytes);
    if (hi <= lo) continue;
    CapturedRegion region;
    region.start = RemoteAddr(lo);
    region.bytes.resize(hi - lo);
    auto r = read_uncached(region.start, region.bytes);
    region.bytes.resize(r.bytes);
    if (!region.bytes.empty()) cap.regions.push_back(std::move(region));
  }
  if (mode == WalkMode::kInPause && options.while_paused) options.while_paused(*this);
  hold_pause_for_tests();
  // A thread left running that is no longer in the same call at the same
  // stack pointer may have changed what we read: the caller starts over.
  for (const auto& [tid, sc] : blocked) {
    auto after = read_proc_syscall(pid_, tid);
    if (!after || *after != sc) {
      frozen_torn_ = true;
      if (!options.nonblocking) continue;
      for (ThreadState& ts : cap.threads)
        if (ts.tid == tid) ts.may_be_torn = true;
    }
  }
  if (guard) {
    guard->resume();
    cap.pause_ns = guard->paused_ns();
  }
  if (mode == WalkMode::kAfterResume && options.while_paused) {
    // The cache now is the pause's copy; a page outside it would be read from
    // the running target, so each such read is counted and the caller
    // discards this walk.
    frozen_misses_ = 0;
    frozen_ = true;
    options.while_paused(*this);
    frozen_ = false;
  }
  return cap;
}

bool LiveProcess::data_runs(uint64_t start, uint64_t pages,
                            const std::function<void(uint64_t, uint64_t)>& on_run) const {
  PagemapReader pagemap(mem_pid_);
  uint64_t done = 0;
  return pagemap.available() && pagemap.scan(start, pages, done, on_run);
}

}  // namespace corostack
