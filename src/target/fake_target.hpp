#pragma once
// An in-memory Target for unit tests and fuzzing: regions of bytes at chosen
// addresses, threads with chosen registers, nothing real underneath.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "target/target.hpp"

namespace corostack {

class FakeTarget final : public Target {
 public:
  // Adds memory at [start, start + bytes.size()). `perms` is in /proc/PID/maps
  // form ("r-xp"); regions that are not readable fail reads, like PROT_NONE.
  // Throws std::invalid_argument for an empty, wrapping or overlapping region:
  // a test that builds an impossible address space should fail loudly.
  void add_region(RemoteAddr start, std::vector<std::byte> bytes, std::string_view perms = "rw-p",
                  std::string path = "", uint64_t file_offset = 0);
  void add_thread(ThreadState thread) { threads_.push_back(std::move(thread)); }
  void set_pid(pid_t pid) { pid_ = pid; }
  void set_command_name(std::string comm) { comm_ = std::move(comm); }
  void set_command_line(std::string cmdline) { cmdline_ = std::move(cmdline); }
  void set_exe_path(std::string exe) { exe_ = std::move(exe); }
  void set_auxv(std::vector<AuxvEntry> auxv) { auxv_ = std::move(auxv); }
  // Makes capture() fail, to exercise callers' error paths.
  void set_capture_error(std::optional<Error> error) { capture_error_ = std::move(error); }
  // Number of read() calls so far, for testing caches layered on a target.
  size_t read_calls() const { return read_calls_; }

  TargetKind kind() const override { return TargetKind::kFake; }
  pid_t pid() const override { return pid_; }
  std::string command_name() const override { return comm_; }
  std::string command_line() const override { return cmdline_; }
  std::string exe_path() const override { return exe_; }
  const std::vector<MemoryMap>& maps() const override { return maps_; }
  std::vector<AuxvEntry> auxv() const override { return auxv_; }
  // Reads continue across adjacent regions and stop at a gap or unreadable region.
  ReadResult read(RemoteAddr addr, std::span<std::byte> out) const override;
  // Threads sorted like a real capture: the main thread first, then by tid.
  Result<Capture> capture(const CaptureOptions& options) override;

 private:
  std::vector<MemoryMap> maps_;               // sorted by start
  std::vector<std::vector<std::byte>> data_;  // parallel to maps_
  std::vector<ThreadState> threads_;
  std::vector<AuxvEntry> auxv_;
  pid_t pid_ = 1;
  std::string comm_, cmdline_, exe_;
  std::optional<Error> capture_error_;
  mutable size_t read_calls_ = 0;
};

}  // namespace corostack
