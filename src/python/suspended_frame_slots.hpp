#pragma once
// Every object a suspended generator or coroutine frame holds: its locals,
// cells and free variables and its live value stack (where an `await` keeps
// the iterator it delegates to), and whether each slot owns a reference.
//
// Where the slots end, per version (the frame is not executing):
// - <=3.9: PyFrameObject.f_stacktop, a pointer past the value stack's top,
//   with f_localsplus[] running from the locals to it;
// - 3.10: f_valuestack[f_stackdepth];
// - 3.11-3.13: _PyInterpreterFrame.stacktop, an index into localsplus[];
// - 3.14+: stackpointer, a pointer past the top.
// Ownership: 3.13+ slots are _PyStackRefs (python/stack_ref.hpp); a set tag
// bit marks a borrowed (3.14 LOAD_FAST_BORROW) or deferred reference, which
// the object's count does not include. Older slots always own theirs.
#include <cstddef>
#include <optional>
#include <vector>

#include "base/remote_addr.hpp"
#include "python/remote_object.hpp"

namespace corostack::python {

struct FrameSlot {
  RemoteAddr object;  // never null: empty slots are left out
  bool owned = true;  // counted in the object's reference count
};

// nullopt when the frame cannot be read, is running (<=3.9 says so) or has
// more than max_slots slots.
std::optional<std::vector<FrameSlot>> suspended_frame_slots(const RemoteObjects& ro,
                                                            RemoteAddr frame, size_t max_slots);

}  // namespace corostack::python
