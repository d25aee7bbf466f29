#pragma once
// Objects of one type found by scanning memory, for free-threaded builds
// (3.13t+), which keep no GC object lists: their objects live in mimalloc's
// segments, anonymous read-write mappings. A candidate is an 8-aligned
// address whose ob_type (offset 24 of the free-threaded header,
// Include/object.h) is the type sought, whose GC bits (ob_gc_bits, offset 11)
// say tracked (_PyGC_BITS_TRACKED, Include/internal/pycore_gc.h) and whose
// reference count is live: a freed object was untracked before mimalloc took
// its block back, so stale copies of the type pointer are not reported.
// Only pages that hold data are read where the target can tell (live:
// pagemap; a core: its stored bytes). Reading is bounded
// by max_bytes; what was not read is said in `errors`.
#include <sys/types.h>
#include <cstdint>

#include <functional>
#include <vector>

#include "base/remote_addr.hpp"
#include "python/gc_objects.hpp"
#include "python/remote_object.hpp"
#include "target/memory_map.hpp"

namespace corostack::python {

// Target::data_runs: the stretches of pages that hold data, or false when
// that cannot be told.
using DataRuns = std::function<bool(uint64_t start, uint64_t pages,
                                    const std::function<void(uint64_t first, uint64_t count)>&)>;

GcWalkResult for_each_heap_object_of_type(const RemoteObjects& ro,
                                          const std::vector<MemoryMap>& maps, RemoteAddr type,
                                          uint64_t max_bytes, const DataRuns& data_runs,
                                          const std::function<bool(RemoteAddr)>& visit);

}  // namespace corostack::python
