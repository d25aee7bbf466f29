#include "target/core_copy_plan.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "base/pages.hpp"

namespace corostack {
namespace {

// pagemap entries read per pread: 256 KiB of entries describe 128 MiB.
constexpr uint64_t kEntriesPerRead = 32768;
constexpr uint64_t kPresent = 1ULL << 63;
constexpr uint64_t kSwapped = 1ULL << 62;
constexpr uint64_t kPfnMask = (1ULL << 55) - 1;

// The frame of the kernel's shared zero page, which memory that was read but
// never written maps (a calloc'd array read sparsely, or a debugger that
// read a whole stack). 0 when pagemap hides frame numbers (no CAP_SYS_ADMIN):
// such pages are then copied like any other.
uint64_t zero_page_pfn() {
  static const uint64_t pfn = [] {
    void* p = ::mmap(nullptr, kPageSize, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return uint64_t{0};
    (void)*static_cast<volatile const char*>(p);  // a read fault maps the zero page
    uint64_t entry = 0;
    int fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      off_t at = static_cast<off_t>(reinterpret_cast<uintptr_t>(p) / kPageSize * sizeof entry);
      if (::pread(fd, &entry, sizeof entry, at) != sizeof entry) entry = 0;
      ::close(fd);
    }
    ::munmap(p, kPageSize);
    return (entry & kPresent) ? entry & kPfnMask : 0;
  }();
  return pfn;
}

// Pages worth copying: swapped out, or present and not the zero page.
bool holds_data(uint64_t entry, uint64_t zero_pfn) {
  if (entry & kSwapped) return true;
  return (entry & kPresent) && !(zero_pfn && (entry & kPfnMask) == zero_pfn);
}

void add_run(std::vector<DumpCopyRun>& runs, uint64_t addr, uint64_t size, uint64_t file_offset,
             uint32_t segment) {
  if (!runs.empty()) {
    DumpCopyRun& last = runs.back();
    if (last.segment == segment && last.addr + last.size == addr) {
      last.size += size;
      return;
    }
  }
  runs.push_back(DumpCopyRun{addr, size, file_offset, segment});
}

}  // namespace

PagemapReader::PagemapReader(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/pagemap";
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ >= 0) entries_.assign(kEntriesPerRead, 0);  // faulted in now, not during the pause
  zero_page_pfn();
}

PagemapReader::~PagemapReader() {
  if (fd_ >= 0) ::close(fd_);
}

bool PagemapReader::read_entries(uint64_t first_page, uint64_t count, uint64_t& got) {
  while (true) {
    ssize_t n = ::pread(fd_, entries_.data(), count * sizeof(uint64_t),
                        static_cast<off_t>(first_page * sizeof(uint64_t)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || n % sizeof(uint64_t) != 0) return false;
    got = static_cast<uint64_t>(n) / sizeof(uint64_t);
    return true;
  }
}

bool PagemapReader::scan(uint64_t start, uint64_t pages, uint64_t& done,
                         const std::function<void(uint64_t, uint64_t)>& on_run) {
  if (fd_ < 0) return false;
  const uint64_t zero_pfn = zero_page_pfn();
  while (done < pages) {
    uint64_t got = 0;
    if (!read_entries(start / kPageSize + done, std::min(kEntriesPerRead, pages - done), got))
      return false;
    for (uint64_t i = 0; i < got;) {
      if (!holds_data(entries_[i], zero_pfn)) {
        ++i;
        continue;
      }
      uint64_t first = i;
      while (i < got && holds_data(entries_[i], zero_pfn)) ++i;
      on_run(done + first, i - first);
    }
    done += got;
  }
  return true;
}

std::vector<DumpCopyRun> plan_dump_copy(const DumpLayout& layout, PagemapReader& pagemap) {
  std::vector<DumpCopyRun> runs;
  for (size_t i = 0; i < layout.segments.size(); ++i) {
    const DumpSegment& seg = layout.segments[i];
    if (seg.file_size == 0) continue;
    auto index = static_cast<uint32_t>(i);
    const uint64_t start = seg.map.start.value();
    uint64_t done = 0;  // pages already planned
    auto add_pages = [&](uint64_t first, uint64_t count) {
      add_run(runs, start + first * kPageSize, count * kPageSize,
              seg.file_offset + first * kPageSize, index);
    };
    if (seg.zero_pages_are_holes && pagemap.scan(start, seg.file_size / kPageSize, done, add_pages))
      continue;
    // Not sparse, or pagemap failed part-way: copy the rest whole.
    uint64_t from = done * kPageSize;
    add_run(runs, start + from, seg.file_size - from, seg.file_offset + from, index);
  }
  return runs;
}

uint64_t total_copy_bytes(const std::vector<DumpCopyRun>& runs) {
  uint64_t sum = 0;
  for (const DumpCopyRun& r : runs) sum += r.size;
  return sum;
}

}  // namespace corostack
