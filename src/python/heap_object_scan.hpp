#pragma once
// Objects of one type found by scanning memory, for free-threaded builds
// (3.13t+), which keep no GC object lists: their objects live in mimalloc's
// segments, anonymous read-write mappings. A candidate is an 8-aligned
// address whose ob_type (offset 24 of the free-threaded header,
// Include/object.h) is the type sought, whose GC bits (ob_gc_bits, offset 11)
// say tracked (_PyGC_BITS_TRACKED, Include/internal/pycore_gc.h) and whose
// reference count is live: a freed object was untracked before mimalloc took
// its block back, so stale copies of the type pointer are not reported.
// Only resident pages are read where residency is known. Reading is bounded
// by max_bytes; what was not read is said in `errors`.
#include <sys/types.h>
#include <cstdint>

#include <functional>
#include <optional>
#include <vector>

#include "base/remote_addr.hpp"
#include "python/gc_objects.hpp"
#include "python/remote_object.hpp"
#include "target/memory_map.hpp"

namespace corostack::python {

// Which of `pages` 4 KiB pages from `start` are in memory (or swapped out);
// nullopt when it cannot be told (a core: every page it holds is read).
using PageResidency =
    std::function<std::optional<std::vector<bool>>(uint64_t start, uint64_t pages)>;

// /proc/PID/pagemap's present and swapped bits, for a live process.
PageResidency proc_pagemap_residency(pid_t pid);

GcWalkResult for_each_heap_object_of_type(const RemoteObjects& ro,
                                          const std::vector<MemoryMap>& maps, RemoteAddr type,
                                          uint64_t max_bytes, const PageResidency& resident,
                                          const std::function<bool(RemoteAddr)>& visit);

}  // namespace corostack::python
