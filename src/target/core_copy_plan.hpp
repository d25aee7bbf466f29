#pragma once
// The exact ranges of target memory to copy into a core file, and where each
// lands. Private anonymous pages that were never written read as zeros, so
// /proc/PID/pagemap is consulted to leave them as holes of a sparse file (as
// the kernel's dumper does): an untouched 8 MiB thread stack then costs a
// 16 KiB pagemap read instead of 8 MiB of copying inside the pause.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "target/core_dump_layout.hpp"

namespace corostack {

struct DumpCopyRun {
  uint64_t addr = 0;         // target address, page-aligned
  uint64_t size = 0;         // bytes, page multiple
  uint64_t file_offset = 0;  // where addr lands in the core file
  uint32_t segment = 0;      // index into DumpLayout::segments
};

// /proc/PID/pagemap with its read buffer, both set up before the pause so
// that planning inside it costs only the reads.
class PagemapReader {
 public:
  explicit PagemapReader(pid_t pid);
  ~PagemapReader();
  PagemapReader(const PagemapReader&) = delete;
  PagemapReader& operator=(const PagemapReader&) = delete;

  // Without pagemap (some sandboxes), untouched pages are copied too.
  bool available() const { return fd_ >= 0; }
  // Calls on_run(first, count) for each stretch of pages of
  // [start, start + pages*4096) that hold data, in order, from page `done`
  // on (advanced as pages are scanned); false when pagemap could not be read
  // to the end.
  bool scan(uint64_t start, uint64_t pages, uint64_t& done,
            const std::function<void(uint64_t first, uint64_t count)>& on_run);

 private:
  bool read_entries(uint64_t first_page, uint64_t count, uint64_t& got);
  int fd_ = -1;
  std::vector<uint64_t> entries_;
};

// Runs come out in address order; adjacent pages are merged into one run.
std::vector<DumpCopyRun> plan_dump_copy(const DumpLayout& layout, PagemapReader& pagemap);

uint64_t total_copy_bytes(const std::vector<DumpCopyRun>& runs);

}  // namespace corostack
