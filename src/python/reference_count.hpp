#pragma once
// How many strong references an object has, read from its header, for
// reasoning about who can still reach it (doctor's orphaned awaits).
//
// Include/object.h per build:
// - GIL builds: ob_refcnt is the word before ob_type. 3.12-3.13 keep a
//   64-bit count and mark immortal objects with the low 32 bits all ones;
//   3.14+ count in the low 32 bits (ob_flags and ob_overflow above) and an
//   object is immortal when that 32-bit count is negative as an int32.
// - Free-threaded builds (3.13t+): {ob_tid, ob_flags, ob_mutex, ob_gc_bits,
//   uint32 ob_ref_local, Py_ssize_t ob_ref_shared, ob_type}; the count is
//   ob_ref_local + (ob_ref_shared >> _Py_REF_SHARED_SHIFT (2)); an object is
//   immortal when ob_ref_local is UINT32_MAX.
// Immortal objects, impossible counts and unreadable headers give nullopt.
#include <cstdint>
#include <optional>

#include "base/remote_addr.hpp"
#include "python/remote_object.hpp"

namespace corostack::python {

std::optional<uint64_t> reference_count(const RemoteObjects& ro, RemoteAddr obj);

}  // namespace corostack::python
