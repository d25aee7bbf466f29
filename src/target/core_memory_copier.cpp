#include "target/core_memory_copier.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include "base/checked.hpp"
#include "base/pages.hpp"

namespace corostack {
namespace {

constexpr size_t kMinCapacity = 1 << 20;
// process_vm_readv takes at most IOV_MAX ranges per side.
constexpr size_t kMaxRemoteRanges = 1024;
// Bounded so that a page that fails to read costs a retry of little.
constexpr uint64_t kMaxBytesPerCall = 64 << 20;
// Copying is CPU-bound page-table walking as much as memory bandwidth, so it
// scales with threads, but a thread is worth starting only for this much.
constexpr uint64_t kMinBytesPerThread = 8 << 20;
constexpr size_t kCopierThreads = 8;
// Threads take chunks of this size in turn, so that one the scheduler
// leaves waiting (the machine is busy) delays the end by one chunk at most.
constexpr uint64_t kChunkBytes = 4 << 20;

Status pwrite_all(int fd, const std::byte* p, uint64_t size, uint64_t offset) {
  while (size > 0) {
    ssize_t n = ::pwrite(fd, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      return make_error(ErrorKind::kIo, std::string("writing the core file: ") + std::strerror(e));
    }
    p += n;
    size -= static_cast<uint64_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return ok_status();
}

// Faults every page in now, before the pause, so that copying into the
// buffer later is a plain memory copy.
void prefault(std::byte* p, size_t size) {
  if (size >= (2u << 20)) ::madvise(p, size, MADV_HUGEPAGE);  // fewer faults and TLB misses
  if (::madvise(p, size, MADV_POPULATE_WRITE) == 0) return;
  for (size_t off = 0; off < size; off += kPageSize) {
    *reinterpret_cast<volatile char*>(p + off) = 0;
  }
}

// Splits runs (at page boundaries) into chunks of at most `chunk` bytes.
std::vector<std::vector<DumpCopyRun>> split_runs(std::span<const DumpCopyRun> runs,
                                                 uint64_t chunk) {
  std::vector<std::vector<DumpCopyRun>> out;
  uint64_t filled = chunk;
  for (const DumpCopyRun& r : runs) {
    for (uint64_t off = 0; off < r.size;) {
      if (filled == chunk) {
        out.emplace_back();
        filled = 0;
      }
      uint64_t take = std::min(r.size - off, chunk - filled);
      out.back().push_back(DumpCopyRun{r.addr + off, take, r.file_offset + off, r.segment});
      off += take;
      filled += take;
    }
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<CoreMemoryCopier>> CoreMemoryCopier::create(pid_t pid, int out_fd,
                                                                   size_t capacity,
                                                                   size_t max_threads) {
  std::unique_ptr<CoreMemoryCopier> c(new CoreMemoryCopier(pid, out_fd));
  size_t cap = align_up(std::max(capacity, kMinCapacity), kPageSize);
  while (true) {
    void* p = ::mmap(nullptr, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
      c->buffer_ = static_cast<std::byte*>(p);
      c->capacity_ = cap;
      break;
    }
    if (cap <= kMinCapacity) {
      return make_error(ErrorKind::kIo,
                        std::string("allocating the copy buffer: ") + std::strerror(errno));
    }
    cap = align_up(cap / 2, kPageSize);  // short of memory: more flushes during the pause
  }
  prefault(c->buffer_, c->capacity_);
  if (max_threads == 0)
    max_threads = std::min<size_t>(std::thread::hardware_concurrency(), kCopierThreads);
  c->max_threads_ = std::max<size_t>(max_threads, 1);
  return c;
}

CoreMemoryCopier::~CoreMemoryCopier() {
  if (buffer_) ::munmap(buffer_, capacity_);
  if (mem_fd_ >= 0) ::close(mem_fd_);
}

ssize_t CoreMemoryCopier::read_proc_mem(std::byte* local, const iovec* remote, size_t count) {
  std::call_once(mem_fd_once_, [this] {
    std::string path = "/proc/" + std::to_string(pid_) + "/mem";
    mem_fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  });
  if (mem_fd_ < 0) {
    errno = EPERM;
    return -1;
  }
  size_t done = 0;
  for (size_t i = 0; i < count; ++i) {
    auto addr = reinterpret_cast<uint64_t>(remote[i].iov_base);
    size_t got = 0;
    while (got < remote[i].iov_len) {
      ssize_t n = ::pread(mem_fd_, local + done + got, remote[i].iov_len - got,
                          static_cast<off_t>(addr + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n == 0) errno = EIO;
        done += got;
        return done > 0 ? static_cast<ssize_t>(done) : -1;
      }
      got += static_cast<size_t>(n);
    }
    done += got;
  }
  return static_cast<ssize_t>(done);
}

ssize_t CoreMemoryCopier::read_remote(std::byte* local, size_t size, const iovec* remote,
                                      size_t count) {
  if (vm_readv_works_.load(std::memory_order_relaxed)) {
    iovec lv{local, size};
    while (true) {
      ssize_t n = ::process_vm_readv(pid_, &lv, 1, remote, count, 0);
      if (n >= 0 || errno != EINTR) {
        // Kernels without the call, or policies (seccomp, LSM) that refuse it
        // but allow /proc/PID/mem.
        if (n < 0 && (errno == ENOSYS || errno == EPERM)) break;
        return n;
      }
    }
    vm_readv_works_.store(false, std::memory_order_relaxed);
  }
  return read_proc_mem(local, remote, count);
}

void CoreMemoryCopier::stage(Lane& lane, std::span<const DumpCopyRun> runs, size_t& run,
                             uint64_t& offset, uint64_t size) {
  while (size > 0 && run < runs.size()) {
    const DumpCopyRun& r = runs[run];
    uint64_t take = std::min(size, r.size - offset);
    uint64_t file_offset = r.file_offset + offset;
    Piece* last = lane.pieces.empty() ? nullptr : &lane.pieces.back();
    if (last && last->buffer_offset + last->size == lane.used &&
        last->file_offset + last->size == file_offset) {
      last->size += take;
    } else {
      lane.pieces.push_back(Piece{lane.used, file_offset, take});
    }
    lane.used += take;
    size -= take;
    offset += take;
    if (offset == r.size) {
      ++run;
      offset = 0;
    }
  }
}

Status CoreMemoryCopier::fill(std::span<const DumpCopyRun> runs, Lane& lane, bool may_flush) {
  std::array<iovec, kMaxRemoteRanges> remote;
  size_t run = 0;
  uint64_t offset = 0;  // into runs[run]
  while (run < runs.size()) {
    if (lane.end - lane.used < kPageSize) {
      if (!may_flush) return make_error(ErrorKind::kIo, "core copy buffer overflow");
      ++flushes_during_copy_;
      if (auto st = flush_lane(lane); !st) return st;
    }
    // Gather as many ranges as fit the free buffer into one call.
    uint64_t budget = std::min<uint64_t>(lane.end - lane.used, kMaxBytesPerCall);
    size_t count = 0;
    uint64_t total = 0;
    for (size_t r = run, o = offset; r < runs.size() && count < remote.size() && total < budget;) {
      uint64_t take = std::min(runs[r].size - o, budget - total);
      remote[count++] = iovec{reinterpret_cast<void*>(runs[r].addr + o), take};
      total += take;
      o += take;
      if (o == runs[r].size) {
        ++r;
        o = 0;
      }
    }
    ssize_t n = read_remote(buffer_ + lane.used, total, remote.data(), count);
    if (n < 0 && errno == ESRCH) return make_error(ErrorKind::kGone, "the process exited");
    uint64_t got = n > 0 ? static_cast<uint64_t>(n) : 0;
    stage(lane, runs, run, offset, got);
    if (got < total) {
      // The page at the cursor is unreadable (EFAULT, EIO: a truncated file,
      // a poisoned page, a guard region): a page of zeros stands in for it.
      uint64_t addr = runs[run].addr + offset;
      uint64_t bad = std::min(align_up(addr + 1, kPageSize) - addr, runs[run].size - offset);
      std::memset(buffer_ + lane.used, 0, bad);
      ++lane.unreadable[runs[run].segment];
      stage(lane, runs, run, offset, bad);
    }
  }
  return ok_status();
}

Status CoreMemoryCopier::copy_staged(std::span<const DumpCopyRun> runs, size_t threads) {
  auto chunks = split_runs(runs, kChunkBytes);
  lanes_.assign(chunks.size(), Lane{});
  size_t at = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    lanes_[i].begin = lanes_[i].used = at;
    for (const DumpCopyRun& r : chunks[i]) at += r.size;
    lanes_[i].end = at;
  }
  std::vector<Status> results(chunks.size(), ok_status());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < chunks.size();) {
      try {
        results[i] = fill(chunks[i], lanes_[i], false);
      } catch (const std::exception& e) {
        results[i] = make_error(ErrorKind::kIo, std::string("copying memory: ") + e.what());
      }
    }
  };
  std::vector<std::thread> helpers;
  for (size_t i = 1; i < threads; ++i) helpers.emplace_back(work);
  work();
  for (std::thread& t : helpers) t.join();
  for (Status& st : results) {
    if (!st) return st;
  }
  return ok_status();
}

Status CoreMemoryCopier::copy(std::span<const DumpCopyRun> runs) {
  uint64_t total = 0;
  for (const DumpCopyRun& r : runs) total += r.size;
  Status st = ok_status();
  if (total <= capacity_) {
    threads_used_ =
        static_cast<size_t>(std::clamp<uint64_t>(total / kMinBytesPerThread, 1, max_threads_));
    st = copy_staged(runs, threads_used_);
  } else {
    // Too big to stage: one thread, writing the buffer out whenever it fills
    // (more threads would wait on those writes anyway).
    threads_used_ = 1;
    lanes_.assign(1, Lane{0, capacity_, 0, {}, {}});
    st = fill(runs, lanes_[0], true);
  }
  for (const Lane& lane : lanes_) {
    for (const auto& [segment, pages] : lane.unreadable) unreadable_[segment] += pages;
  }
  return st;
}

Status CoreMemoryCopier::flush_lane(Lane& lane) {
  for (const Piece& p : lane.pieces) {
    if (auto st = pwrite_all(out_fd_, buffer_ + p.buffer_offset, p.size, p.file_offset); !st)
      return st;
    bytes_written_ += p.size;
    if (progress_) progress_("writing the core", bytes_written_, flush_total_);
  }
  lane.pieces.clear();
  lane.used = lane.begin;
  return ok_status();
}

Status CoreMemoryCopier::flush() {
  flush_total_ = bytes_written_;
  for (const Lane& lane : lanes_)
    for (const Piece& p : lane.pieces) flush_total_ += p.size;
  for (Lane& lane : lanes_) {
    if (auto st = flush_lane(lane); !st) return st;
  }
  return ok_status();
}

}  // namespace corostack
