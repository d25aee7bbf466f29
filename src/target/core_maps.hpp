#pragma once
// The memory map of a core: PT_LOAD segments (with their permissions) named
// by the NT_FILE entries they fall in, plus NT_FILE ranges that have no
// PT_LOAD at all (gdb's gcore leaves out unmodified read-only mappings, code
// included), whose permissions come from the file's own program headers.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "target/core_memory.hpp"
#include "target/memory_map.hpp"

namespace corostack {

// p_flags of the ELF segment that `path` maps at `file_offset`, when known.
using MappingFlagsLookup =
    std::function<std::optional<uint32_t>(const std::string& path, uint64_t file_offset)>;

// Both inputs sorted by address and non-overlapping. A segment spanning
// several NT_FILE entries is split at their boundaries. The result is sorted.
std::vector<MemoryMap> build_core_maps(const std::vector<CoreSegment>& segments,
                                       const std::vector<CoreFileMapping>& files,
                                       const MappingFlagsLookup& flags_of);

}  // namespace corostack
