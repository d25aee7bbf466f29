#include "target/core_file.hpp"

#include <csignal>
#include <map>

#include "target/core_build_ids.hpp"
#include "target/core_headers.hpp"
#include "target/core_maps.hpp"
#include "target/elf_image.hpp"
#include "target/mapped_file.hpp"

namespace corostack {
namespace {

// Resolves a path named by the core to one we can open: --exe stands in for
// the executable; every other file is looked up where the core says it was.
CoreMemory::PathResolver make_resolver(std::string exe_path, std::string exe_override) {
  return [exe_path = std::move(exe_path),
          exe_override = std::move(exe_override)](const std::string& path) {
    return !exe_override.empty() && path == exe_path ? exe_override : path;
  };
}

// Permissions of mappings the core has no PT_LOAD for, from the files' own
// program headers; each file is opened at most once.
MappingFlagsLookup make_flags_lookup(const CoreMemory::PathResolver& resolve) {
  auto cache = std::make_shared<std::map<std::string, std::shared_ptr<MappedFile>>>();
  return
      [cache, resolve](const std::string& path, uint64_t file_offset) -> std::optional<uint32_t> {
        auto [it, inserted] = cache->try_emplace(path);
        if (inserted) {
          if (auto f = MappedFile::open(resolve(path))) it->second = std::move(*f);
        }
        if (!it->second) return std::nullopt;
        return load_flags_at_offset(it->second->bytes(), file_offset);
      };
}

}  // namespace

Result<std::unique_ptr<CoreFile>> CoreFile::open(const std::string& core_path,
                                                 const std::string& exe_override) {
  auto mapped = MappedFile::open(core_path);
  if (!mapped) {
    const Error& e = mapped.error();
    if (e.kind == ErrorKind::kNotFound)
      return make_error(ErrorKind::kNotFound, "core file " + core_path + ": no such file");
    return make_error(e.kind, "core file " + e.message);
  }
  std::shared_ptr<const MappedFile> image = std::move(*mapped);
  auto layout = read_core_headers(image->bytes());
  if (!layout) return make_error(layout.error().kind, core_path + ": " + layout.error().message);

  std::unique_ptr<CoreFile> core(new CoreFile());
  core->warnings_ = std::move(layout->warnings);
  for (auto segment : layout->note_segments) parse_core_notes(segment, core->notes_);
  finish_core_notes(core->notes_);
  auto& notes = core->notes_;
  if (notes.threads.empty()) {
    std::string why = notes.warnings.empty() ? "" : " (" + notes.warnings.front() + ")";
    return make_error(ErrorKind::kCorrupt,
                      core_path + ": the core records no threads (no NT_PRSTATUS note)" + why);
  }
  core->warnings_.insert(core->warnings_.end(), notes.warnings.begin(), notes.warnings.end());
  core->pid_ = notes.psinfo_pid.value_or(notes.threads.front().tid);
  core->build_threads();
  core->find_exe_path();
  core->exe_override_ = exe_override;

  auto resolve = make_resolver(core->exe_path_, exe_override);
  core->maps_ = build_core_maps(layout->segments, notes.files, make_flags_lookup(resolve));
  core->memory_ = std::make_unique<CoreMemory>(std::move(image), std::move(layout->segments),
                                               notes.files, resolve);
  if (!exe_override.empty()) {
    auto st = check_exe_override(*core->memory_, core->exe_path_, exe_override, core->warnings_);
    if (!st) return st.error();
  }
  // With --exe the executable was just checked; do not report it twice.
  auto stale = mapped_file_warnings(*core->memory_, resolve,
                                    exe_override.empty() ? std::string() : core->exe_path_);
  core->warnings_.insert(core->warnings_.end(), stale.begin(), stale.end());
  return core;
}

void CoreFile::build_threads() {
  for (const CoreThread& t : notes_.threads) {
    ThreadState ts;
    ts.tid = t.tid;
    ts.regs = t.regs;
    ts.regs_valid = true;
    // Kernel and gdb cores name only the process; it is the main thread's comm.
    if (t.tid == pid_) ts.name = notes_.fname;
    for (const CoreThreadInfo& info : notes_.thread_info) {
      if (info.tid != t.tid) continue;
      ts.name = info.name;
      ts.state = info.state;
    }
    threads_.push_back(std::move(ts));
  }
  std::sort(threads_.begin(), threads_.end(), [this](const ThreadState& a, const ThreadState& b) {
    if ((a.tid == pid_) != (b.tid == pid_)) return a.tid == pid_;
    return a.tid < b.tid;
  });
}

void CoreFile::find_exe_path() {
  // The entry point lies in the executable's code, whatever its load address.
  for (const AuxvEntry& e : notes_.auxv) {
    if (e.type != AT_ENTRY) continue;
    for (const CoreFileMapping& f : notes_.files) {
      if (e.value >= f.start && e.value < f.end) {
        exe_path_ = f.path;
        return;
      }
    }
  }
  // Without auxv: the lowest file mapped from offset 0, which is the
  // executable in the usual layout (it is mapped first, below the libraries).
  for (const CoreFileMapping& f : notes_.files) {
    if (f.file_offset == 0) {
      exe_path_ = f.path;
      return;
    }
  }
}

std::string CoreFile::host_path(const std::string& path) const {
  if (!exe_override_.empty() && path == exe_path_) return exe_override_;
  return path;
}

ReadResult CoreFile::read(RemoteAddr addr, std::span<std::byte> out) const {
  return memory_->read(addr, out);
}

std::optional<int> CoreFile::fatal_signal() const {
  // The kernel sets pr_cursig in the dumping thread, which it writes first.
  if (int sig = notes_.threads.front().cursig; sig > 0) return sig;
  // gdb's gcore records the SIGSTOP it used to attach: not a cause of death.
  if (notes_.siginfo_signo && *notes_.siginfo_signo > 0 && *notes_.siginfo_signo != SIGSTOP)
    return notes_.siginfo_signo;
  return std::nullopt;
}

pid_t CoreFile::signalled_thread() const {
  return notes_.threads.empty() ? 0 : notes_.threads.front().tid;
}

Result<Capture> CoreFile::capture(const CaptureOptions& options) {
  // Everything is already in the core: nothing to pause, no stacks to copy.
  if (options.while_paused) options.while_paused(*this);
  Capture cap;
  cap.threads = threads_;
  cap.warnings = warnings_;
  return cap;
}

}  // namespace corostack
