#pragma once
// Copies target memory into a core file while the target is paused, as fast
// as the machine allows. Bytes go from the target into a staging buffer that
// was allocated and faulted in *before* the pause, with one process_vm_readv
// per up to 1024 ranges (several threads when there is a lot to copy and the
// buffer holds it all); the buffer is written to its final file offsets
// after the target runs again. The pause then costs one memory copy per
// byte. Only when the buffer fills up is it written out during the pause.
#include <sys/types.h>
#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "base/progress.hpp"
#include "base/result.hpp"
#include "target/core_copy_plan.hpp"

namespace corostack {

class CoreMemoryCopier {
 public:
  // Reserves and faults in `capacity` bytes (rounded to pages; smaller if
  // memory is short). `out_fd` is the core file, written with pwrite.
  // `max_threads` 0 picks from the CPU count.
  static Result<std::unique_ptr<CoreMemoryCopier>> create(pid_t pid, int out_fd, size_t capacity,
                                                          size_t max_threads = 0);
  ~CoreMemoryCopier();
  CoreMemoryCopier(const CoreMemoryCopier&) = delete;
  CoreMemoryCopier& operator=(const CoreMemoryCopier&) = delete;

  // Copies every run. A page that cannot be read (EFAULT/EIO) is zero-filled
  // and counted; only a vanished target or a failing write is an error.
  Status copy(std::span<const DumpCopyRun> runs);
  // Writes whatever is still staged.
  Status flush();
  // Told how far flush() got ("writing the core", bytes of the staged total).
  void set_progress(ProgressFn progress) { progress_ = std::move(progress); }

  size_t capacity() const { return capacity_; }
  uint64_t bytes_written() const { return bytes_written_; }
  // Flushes that had to happen inside copy(), i.e. during the pause.
  size_t flushes_during_copy() const { return flushes_during_copy_; }
  // Threads the last copy() used.
  size_t threads_used() const { return threads_used_; }
  // Unreadable page count per segment index.
  const std::map<uint32_t, uint64_t>& unreadable_pages() const { return unreadable_; }

 private:
  ProgressFn progress_;
  uint64_t flush_total_ = 0;
  struct Piece {
    size_t buffer_offset;
    uint64_t file_offset;
    uint64_t size;
  };
  // The part [begin, end) of the buffer one chunk of runs goes to.
  struct Lane {
    size_t begin = 0;
    size_t end = 0;
    size_t used = 0;  // buffer offset of the next free byte
    std::vector<Piece> pieces;
    std::map<uint32_t, uint64_t> unreadable;
  };

  CoreMemoryCopier(pid_t pid, int out_fd) : pid_(pid), out_fd_(out_fd) {}
  // Copies runs into the lane; a full lane is written out when `may_flush`.
  Status fill(std::span<const DumpCopyRun> runs, Lane& lane, bool may_flush);
  // Everything fits the buffer: chunks copied by `threads` threads, no writes.
  Status copy_staged(std::span<const DumpCopyRun> runs, size_t threads);
  Status flush_lane(Lane& lane);
  // Reads `count` remote ranges into `local`; returns bytes copied from the
  // first range on, or -1 with errno when not even one byte was copied.
  ssize_t read_remote(std::byte* local, size_t size, const iovec* remote, size_t count);
  ssize_t read_proc_mem(std::byte* local, const iovec* remote, size_t count);
  // Records that `size` bytes at the cursor now sit at lane.used.
  static void stage(Lane& lane, std::span<const DumpCopyRun> runs, size_t& run, uint64_t& offset,
                    uint64_t size);

  pid_t pid_;
  int out_fd_;
  std::byte* buffer_ = nullptr;
  size_t capacity_ = 0;
  size_t max_threads_ = 1;
  std::vector<Lane> lanes_;
  std::atomic<bool> vm_readv_works_{true};
  std::once_flag mem_fd_once_;
  int mem_fd_ = -1;
  uint64_t bytes_written_ = 0;
  size_t flushes_during_copy_ = 0;
  size_t threads_used_ = 0;
  std::map<uint32_t, uint64_t> unreadable_;
};

}  // namespace corostack
