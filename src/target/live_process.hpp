#pragma once
// A running process, read with process_vm_readv (falling back to
// /proc/PID/mem) and paused only inside capture().
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <unordered_map>

#include "target/target.hpp"

namespace corostack {

class LiveProcess final : public Target {
 public:
  // Validates the pid (exists, not a zombie or kernel thread, not ourselves,
  // not already traced) and reads its maps. Does not stop anything.
  static Result<std::unique_ptr<LiveProcess>> open(pid_t pid);

  TargetKind kind() const override { return TargetKind::kLive; }
  pid_t pid() const override { return pid_; }
  std::string command_name() const override { return comm_; }
  std::string command_line() const override { return cmdline_; }
  std::string exe_path() const override { return exe_; }
  const std::vector<MemoryMap>& maps() const override { return maps_; }
  std::vector<AuxvEntry> auxv() const override;
  std::string host_path(const std::string& path) const override;
  std::string mapping_host_path(const MemoryMap& m) const override;
  Result<Capture> capture(const CaptureOptions& options) override;
  // From /proc/PID/pagemap (PagemapReader, as gcore plans its copy).
  bool data_runs(uint64_t start, uint64_t pages,
                 const std::function<void(uint64_t first, uint64_t count)>& on_run) const override;

  ReadResult read(RemoteAddr addr, std::span<std::byte> out) const override;

  // Forgets every cached page; the cache lives for one capture.
  void clear_cache() const;
  // How long capture() waits for every thread to stop.
  void set_stop_deadline(std::chrono::microseconds d) { stop_deadline_ = d; }

 private:
  explicit LiveProcess(pid_t pid) : pid_(pid), mem_pid_(pid) {}
  ReadResult read_uncached(RemoteAddr addr, std::span<std::byte> out) const;
  // One pause: registers, stack tops, and the while_paused walk either inside
  // it or, on the pause's copy of the cached pages, right after it.
  enum class WalkMode { kInPause, kAfterResume };
  // stop_all: also stop threads blocked in system calls.
  Result<Capture> pause_once(const CaptureOptions& options, WalkMode mode, bool stop_all);
  ReadResult read_proc_mem(RemoteAddr addr, std::span<std::byte> out) const;

  pid_t pid_;
  // Whose /proc entries (maps, mem, auxv, exe, root) and process_vm_readv
  // serve the address space: pid_, or a live thread when the main thread has
  // exited (a zombie leader has no mm, so its maps read empty).
  pid_t mem_pid_;
  std::string comm_, cmdline_, exe_;
  std::vector<MemoryMap> maps_;
  std::chrono::microseconds stop_deadline_{std::chrono::milliseconds(200)};
  mutable int mem_fd_ = -1;
  mutable bool vm_readv_works_ = true;
  // Page cache: page address -> its copy, kept in slabs (one allocation per
  // 64 pages, filled 4 pages per read: heap objects that point at each other
  // are usually close, and one process_vm_readv per page dominated).
  const std::byte* cached_page(uint64_t page) const;
  // Re-reads every cached page in place, batched; drops pages that can no
  // longer be read. For the pause after a warm-up walk.
  void refresh_cache() const;
  mutable std::unordered_map<uint64_t, const std::byte*> cache_;
  mutable std::vector<std::unique_ptr<std::byte[]>> slabs_;
  mutable size_t slab_free_pages_ = 0;
  mutable uint64_t last_page_ = 1;  // not page-aligned: matches nothing
  mutable const std::byte* last_data_ = nullptr;
  // While walking the pause's copy after resuming: reads the copy lacks.
  mutable bool frozen_ = false;
  mutable size_t frozen_misses_ = 0;
  // Set by pause_once when a thread left running was seen to move.
  bool frozen_torn_ = false;

 public:
  ~LiveProcess() override;
};

}  // namespace corostack
