#include "target/core_maps.hpp"

#include <elf.h>

#include <algorithm>

namespace corostack {
namespace {

MemoryMap make_map(uint64_t start, uint64_t end, uint32_t flags) {
  MemoryMap m;
  m.start = RemoteAddr(start);
  m.end = RemoteAddr(end);
  m.readable = flags & PF_R;
  m.writable = flags & PF_W;
  m.executable = flags & PF_X;
  return m;
}

void name_map(MemoryMap& m, const CoreFileMapping& f) {
  m.path = f.path;
  m.file_offset = f.file_offset + (m.start.value() - f.start);
}

// First file whose range ends after `a` (it may start after `a`).
std::vector<CoreFileMapping>::const_iterator first_file_ending_after(
    const std::vector<CoreFileMapping>& files, uint64_t a) {
  return std::upper_bound(files.begin(), files.end(), a,
                          [](uint64_t v, const CoreFileMapping& f) { return v < f.end; });
}

}  // namespace

std::vector<MemoryMap> build_core_maps(const std::vector<CoreSegment>& segments,
                                       const std::vector<CoreFileMapping>& files,
                                       const MappingFlagsLookup& flags_of) {
  std::vector<MemoryMap> maps;
  for (const CoreSegment& seg : segments) {
    uint64_t cursor = seg.vaddr;
    auto f = first_file_ending_after(files, cursor);
    while (cursor < seg.end()) {
      if (f != files.end() && f->start <= cursor) {
        MemoryMap m = make_map(cursor, std::min(seg.end(), f->end), seg.flags);
        name_map(m, *f);
        maps.push_back(std::move(m));
        ++f;
      } else {
        uint64_t next = f != files.end() ? f->start : seg.end();
        maps.push_back(make_map(cursor, std::min(seg.end(), next), seg.flags));
      }
      cursor = maps.back().end.value();
    }
  }
  // NT_FILE ranges, or parts of them, that no segment covers.
  for (const CoreFileMapping& f : files) {
    uint64_t cursor = f.start;
    auto seg = std::upper_bound(segments.begin(), segments.end(), f.start,
                                [](uint64_t v, const CoreSegment& s) { return v < s.end(); });
    while (cursor < f.end) {
      uint64_t gap_end = f.end;
      if (seg != segments.end() && seg->vaddr < f.end) gap_end = std::max(cursor, seg->vaddr);
      if (gap_end > cursor) {
        uint64_t file_offset = f.file_offset + (cursor - f.start);
        MemoryMap m = make_map(cursor, gap_end, flags_of(f.path, file_offset).value_or(PF_R));
        name_map(m, f);
        maps.push_back(std::move(m));
      }
      if (seg == segments.end() || seg->vaddr >= f.end) break;
      cursor = std::max(cursor, seg->end());
      ++seg;
    }
  }
  std::sort(maps.begin(), maps.end(),
            [](const MemoryMap& a, const MemoryMap& b) { return a.start < b.start; });
  return maps;
}

}  // namespace corostack
