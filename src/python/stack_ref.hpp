#pragma once
// _PyStackRef (3.13+): what interpreter frames hold in f_executable,
// localsplus and the value stack. A PyObject* whose low bits are tags:
// Include/internal/pycore_stackref.h (v3.14.7) has Py_TAG_BITS 3 in GIL
// builds (bit 0 = Py_TAG_REFCNT: a borrowed reference; 3 = Py_INT_TAG: a
// tagged small int, not a pointer) and 1 in free-threaded builds
// (Py_TAG_DEFERRED); 3.13's GIL build does not tag. Objects are at least
// 8-aligned, so clearing the two low bits is right for every version,
// including the plain PyObject* of 3.12 and older.
#include <cstdint>
#include <optional>

#include "base/remote_addr.hpp"

namespace corostack::python {

constexpr uint64_t kStackRefTagBits = 3;
constexpr uint64_t kStackRefIntTag = 3;

// The object a stack reference points at; nullopt for a tagged int. A null
// reference gives a null address (unbound).
inline std::optional<RemoteAddr> stack_ref_object(uint64_t bits) {
  if ((bits & kStackRefTagBits) == kStackRefIntTag) return std::nullopt;
  return RemoteAddr(bits & ~kStackRefTagBits);
}

}  // namespace corostack::python
