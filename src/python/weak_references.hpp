#pragma once
// Whether anything holds a weak reference to an object: its weakref list,
// found through its type's tp_weaklistoffset (a byte offset into the object,
// or, for 3.12+ classes with managed weak references, a negative one into
// the pre-header before it). A weak reference does not show in the
// reference count yet can reach the object (a WeakValueDictionary of
// pending futures), so whoever reasons from counts must ask this too.
//
// tp_weaklistoffset is the fifth word after tp_flags in PyTypeObject
// (tp_doc, tp_traverse, tp_clear, tp_richcompare, then it) in every
// version from 2.7 to 3.15 (Include/cpython/object.h).
#include <optional>

#include "base/remote_addr.hpp"
#include "python/remote_object.hpp"

namespace corostack::python {

// false: no weak reference, or the type allows none; nullopt: unreadable.
std::optional<bool> has_weak_references(const RemoteObjects& ro, RemoteAddr obj);

}  // namespace corostack::python
