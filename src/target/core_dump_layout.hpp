#pragma once
// Where everything goes in a core file we write: which bytes of each mapping
// are dumped (the kernel's default coredump_filter 0x33, approximated from
// user space), the file offset of every segment, and the ELF and program
// headers.
//
// File: [Elf64_Ehdr][Elf64_Phdr: PT_NOTE, one PT_LOAD per mapping]
//       [extended-numbering Elf64_Shdr, only past 65534 program headers]
//       [notes] [segment data, each page-aligned].
#include <cstddef>
#include <cstdint>
#include <vector>

#include "target/memory_map.hpp"

namespace corostack {

// How much of a mapping's memory goes into the file.
enum class DumpExtent {
  kNone,       // a PT_LOAD with p_filesz 0 (unreadable, [vvar], read-only file data)
  kFirstPage,  // the ELF header and build-id note of a mapped file, as the kernel does
  kWhole,
};

// kernel 0x33: anonymous memory (private and shared, including memfd/SysV
// shared memory, which are "deleted" files), written file data, ELF headers.
// `include_file_backed` also dumps file data readers could get from disk.
DumpExtent dump_extent(const MemoryMap& map, bool include_file_backed);

// True for private RELRO regions: read-only now, but written by the dynamic
// linker (relocated pointers, vtables), so the file's bytes are wrong. They
// sit right before the writable part of the same file mapping.
bool is_relocated_readonly(const MemoryMap& map, const MemoryMap* next);

// A range the target asked never to be dumped (madvise MADV_DONTDUMP, as
// sanitizers do for their terabytes of shadow memory) or that is device
// memory (VM_IO): described by a PT_LOAD, never read.
struct DumpExclusion {
  uint64_t start = 0;
  uint64_t end = 0;
};

struct DumpSegment {
  MemoryMap map;
  uint64_t file_offset = 0;  // page-aligned
  uint64_t file_size = 0;    // bytes from map.start present in the file
  // Private anonymous memory: pages never touched read as zeros, so they can
  // stay holes in a sparse file instead of being copied.
  bool zero_pages_are_holes = false;
};

struct DumpLayout {
  uint64_t notes_offset = 0;
  uint64_t notes_size = 0;
  std::vector<DumpSegment> segments;
  uint64_t file_size = 0;  // end of the last segment's data
};

// Decides every segment and its offset; `maps` and `excluded` sorted by start.
DumpLayout plan_dump_layout(const std::vector<MemoryMap>& maps, uint64_t notes_size,
                            bool include_file_backed,
                            const std::vector<DumpExclusion>& excluded = {});

// The ELF header, program headers (and extended-numbering section header)
// that start the file; notes follow at layout.notes_offset.
std::vector<std::byte> build_dump_headers(const DumpLayout& layout);

}  // namespace corostack
