#include "target/core_memory.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "base/checked.hpp"
#include "base/pages.hpp"
#include "target/proc_fs.hpp"

namespace corostack {

CoreMemory::CoreMemory(std::shared_ptr<const MappedFile> core, std::vector<CoreSegment> segments,
                       std::vector<CoreFileMapping> files, PathResolver resolve)
    : core_(std::move(core)),
      segments_(std::move(segments)),
      files_(std::move(files)),
      resolve_(std::move(resolve)) {}

CoreMemory::~CoreMemory() {
  for (auto& [path, fd] : fds_) {
    if (fd >= 0) ::close(fd);
  }
}

const CoreSegment* CoreMemory::segment_at(uint64_t a) const {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), a,
                             [](uint64_t v, const CoreSegment& s) { return v < s.vaddr; });
  if (it == segments_.begin()) return nullptr;
  --it;
  return a < it->end() ? &*it : nullptr;
}

uint64_t CoreMemory::next_segment_start(uint64_t a) const {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), a,
                             [](uint64_t v, const CoreSegment& s) { return v < s.vaddr; });
  return it == segments_.end() ? std::numeric_limits<uint64_t>::max() : it->vaddr;
}

const CoreFileMapping* CoreMemory::file_at(uint64_t a) const {
  auto it = std::upper_bound(files_.begin(), files_.end(), a,
                             [](uint64_t v, const CoreFileMapping& f) { return v < f.start; });
  if (it == files_.begin()) return nullptr;
  --it;
  return a < it->end ? &*it : nullptr;
}

size_t CoreMemory::read_file(const CoreFileMapping& f, uint64_t a, std::span<std::byte> out,
                             ErrorKind& error) const {
  auto [it, inserted] = fds_.try_emplace(f.path, -1);
  if (inserted) {
    // The path comes from the core: open regular files only (a FIFO would
    // block forever, a device could have side effects).
    std::string host = resolve_(f.path);
    struct stat st {};
    if (::stat(host.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
      it->second = -ENODEV;
    } else {
      int fd = ::open(host.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
      it->second = fd >= 0 ? fd : -errno;
      if (fd >= 0 && (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        ::close(fd);
        it->second = -ENODEV;
      }
    }
  }
  if (it->second < 0) {
    error = errno_kind(-it->second);
    return 0;
  }
  auto pos = checked_add(f.file_offset, a - f.start);
  if (!pos || *pos > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
    error = ErrorKind::kUnreadable;
    return 0;
  }
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n =
        ::pread(it->second, out.data() + done, out.size() - done, static_cast<off_t>(*pos + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // Past the end of the file: the process would have faulted here too.
      error = n < 0 ? errno_kind(errno) : ErrorKind::kUnreadable;
      break;
    }
    done += static_cast<size_t>(n);
  }
  return done;
}

ReadResult CoreMemory::read(RemoteAddr addr, std::span<std::byte> out) const {
  return read_impl(addr, out, true);
}

ReadResult CoreMemory::read_impl(RemoteAddr addr, std::span<std::byte> out, bool use_files) const {
  size_t done = 0;
  while (done < out.size()) {
    auto a = checked_add(addr.value(), done);
    if (!a) return {done, ErrorKind::kUnreadable};
    size_t want = out.size() - done;
    const CoreSegment* seg = segment_at(*a);
    if (seg && *a - seg->vaddr < seg->filesz) {
      uint64_t in_seg = *a - seg->vaddr;
      size_t n = static_cast<size_t>(std::min<uint64_t>(want, seg->filesz - in_seg));
      std::memcpy(out.data() + done, core_->bytes().data() + seg->offset + in_seg, n);
      done += n;
      continue;
    }
    if (!use_files) return {done, ErrorKind::kUnreadable};
    // Not in the core: the rest of this segment, or the gap up to the next
    // one, may be backed by a file. Core bytes win wherever both exist.
    const CoreFileMapping* file = file_at(*a);
    if (!file) return {done, ErrorKind::kUnreadable};
    uint64_t limit = std::min(seg ? seg->end() : next_segment_start(*a), file->end);
    size_t n = static_cast<size_t>(std::min<uint64_t>(want, limit - *a));
    ErrorKind error = ErrorKind::kUnreadable;
    size_t got = read_file(*file, *a, out.subspan(done, n), error);
    done += got;
    if (got < n) return {done, error};
  }
  return {done, ErrorKind::kUnreadable};
}

bool CoreMemory::data_runs(uint64_t start, uint64_t pages,
                           const std::function<void(uint64_t, uint64_t)>& on_run) const {
  int fd = ::open(core_->path().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = true;
  const uint64_t end = start + pages * kPageSize;
  for (const CoreSegment& seg : segments_) {
    // The part of [start, end) this segment stores, as file offsets.
    uint64_t lo = std::max(start, seg.vaddr), hi = std::min(end, seg.vaddr + seg.filesz);
    if (lo >= hi) continue;
    uint64_t off = seg.offset + (lo - seg.vaddr), off_end = seg.offset + (hi - seg.vaddr);
    while (off < off_end) {
      off_t data = ::lseek(fd, static_cast<off_t>(off), SEEK_DATA);
      if (data < 0) {
        ok = errno == ENXIO;  // ENXIO: nothing but a hole to the end of the file
        break;
      }
      if (static_cast<uint64_t>(data) >= off_end) break;
      off_t hole = ::lseek(fd, data, SEEK_HOLE);
      if (hole <= data) {
        ok = false;
        break;
      }
      uint64_t run_end = std::min<uint64_t>(static_cast<uint64_t>(hole), off_end);
      // Back to pages of [start, end): the pages the data run touches.
      uint64_t first = (seg.vaddr + (static_cast<uint64_t>(data) - seg.offset) - start) / kPageSize;
      uint64_t last = (seg.vaddr + (run_end - seg.offset) - start + kPageSize - 1) / kPageSize;
      on_run(first, std::min(last, pages) - first);
      off = run_end;
    }
    if (!ok) break;
  }
  ::close(fd);
  return ok;
}

}  // namespace corostack
