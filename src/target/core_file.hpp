#pragma once
// A core dump as a Target: written by the Linux kernel, by gdb's gcore, or by
// anything following their conventions (ELF ET_CORE, NT_PRSTATUS per thread,
// NT_PRPSINFO, NT_AUXV, NT_FILE, PT_LOAD per mapping).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "target/core_memory.hpp"
#include "target/core_notes.hpp"
#include "target/target.hpp"

namespace corostack {

class CoreFile final : public Target {
 public:
  // `exe_override` (--exe) replaces the executable named by the core when
  // files are opened; it must exist and, when both build-ids are known,
  // match the one recorded in the core (kUsage otherwise).
  static Result<std::unique_ptr<CoreFile>> open(const std::string& core_path,
                                                const std::string& exe_override = "");

  TargetKind kind() const override { return TargetKind::kCore; }
  pid_t pid() const override { return pid_; }
  std::string command_name() const override { return notes_.fname; }
  std::string command_line() const override { return notes_.psargs; }
  std::string exe_path() const override { return exe_path_; }
  const std::vector<MemoryMap>& maps() const override { return maps_; }
  std::vector<AuxvEntry> auxv() const override { return notes_.auxv; }
  std::string host_path(const std::string& path) const override;
  Result<Capture> capture(const CaptureOptions& options) override;
  ReadResult read(RemoteAddr addr, std::span<std::byte> out) const override;

  // Threads as recorded, main thread first, then by tid.
  const std::vector<ThreadState>& threads() const { return threads_; }
  // The signal that caused the dump (kernel cores); nullopt for snapshots.
  std::optional<int> fatal_signal() const;
  // The thread the kernel dumped from, i.e. the one that received the fatal
  // signal (its NT_PRSTATUS comes first); 0 when the core has no threads.
  pid_t signalled_thread() const;
  // NT_SIGINFO of the fatal signal (kernel cores), as decoded from the notes.
  const CoreNotes& notes() const { return notes_; }
  // Process state letter from NT_PRPSINFO ('?' when absent).
  char process_state() const { return notes_.process_state; }
  // Problems found while opening: corrupt notes, truncation, stale files.
  const std::vector<std::string>& warnings() const { return warnings_; }
  // Reads only the bytes stored in the core, never the files on disk.
  const MemoryReader& core_only() const { return memory_->core_only(); }
  bool data_runs(uint64_t start, uint64_t pages,
                 const std::function<void(uint64_t first, uint64_t count)>& on_run) const override {
    return memory_->data_runs(start, pages, on_run);
  }

 private:
  CoreFile() = default;
  void build_threads();
  void find_exe_path();

  CoreNotes notes_;
  pid_t pid_ = 0;
  std::string exe_path_;
  std::string exe_override_;
  std::vector<ThreadState> threads_;
  std::vector<MemoryMap> maps_;
  std::vector<std::string> warnings_;
  std::unique_ptr<CoreMemory> memory_;
};

}  // namespace corostack
