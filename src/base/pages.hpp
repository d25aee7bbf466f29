#pragma once
// The page size of the targets we read (x86-64 Linux): the granule of
// page-aligned reads, core segments and mapping scans.
#include <cstdint>

namespace corostack {

inline constexpr uint64_t kPageSize = 4096;

}  // namespace corostack
