#pragma once
// The ELF-level structure of a core file: header validation, PT_LOAD
// segments and PT_NOTE segments, all bounds-checked against the file size.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "target/core_memory.hpp"

namespace corostack {

struct CoreHeaders {
  std::vector<CoreSegment> segments;                      // sorted by vaddr, disjoint
  std::vector<std::span<const std::byte>> note_segments;  // views into the core
  std::vector<std::string> warnings;                      // truncation, dropped segments
};

// kCorrupt for non-ELF, empty or truncated files; kUnsupported for 32-bit,
// big-endian, non-x86-64 or non-core ELF files.
Result<CoreHeaders> read_core_headers(std::span<const std::byte> image);

}  // namespace corostack
