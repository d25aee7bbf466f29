#pragma once
// Which threading lock a thread blocked in acquire() waits on, found from
// outside (docs/python-layouts.md, "Locks and the GIL"; facts checked with
// gdb on 3.8, 3.12, 3.14):
//   <=3.13: _thread.lock / _thread.RLock keep a sem_t* (lock_sem, rlock_sem);
//     the waiter sleeps in futex() on that sem_t, so the object is the one
//     whose sem pointer equals the futex address. Nothing points back from
//     the sem_t: candidates come from the waiter's innermost Python frames
//     (locals and value stack, and the `self` of a bound method there, which
//     is what `with x:` leaves on the stack) and from its native stack near
//     the call (the C acquire function keeps `self` in a saved register).
//   3.14+: both embed a PyMutex (lock_mutex, rlock_mutex); the waiter parks
//     on it through the parking lot, sleeping on a semaphore inside a
//     `struct wait_entry {park_arg, addr, sema}` on its own stack: the word
//     before the futex is the PyMutex's address, so the object is found
//     without a search.
// An RLock records its owner's ident (pthread_self) and count; a Lock none.
// Every read is bounded; nothing found is an answer, not an error.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "base/remote_addr.hpp"
#include "python/remote_object.hpp"

namespace corostack::python {

enum class PyLockType { kLock, kRLock };

struct PyLockObject {
  PyLockType type = PyLockType::kLock;
  RemoteAddr object;         // the _thread.lock / _thread.RLock
  uint64_t owner_ident = 0;  // RLock: ident of the owning thread; 0 free or a Lock
  uint64_t count = 0;        // RLock: how many times the owner holds it
};

// "_thread.lock" or "_thread.RLock" (tp_name), else nullopt.
std::optional<PyLockType> lock_type_of(const RemoteObjects& ro, RemoteAddr obj);

// Reads a lock object's owner and count (an RLock's; a Lock gets none).
std::optional<PyLockObject> read_lock_object(const RemoteObjects& ro, RemoteAddr obj);

struct LockSearchLimits {
  size_t frame_words = 96;    // words scanned from each Python frame's localsplus
  size_t python_frames = 2;   // innermost Python frames scanned
  size_t stack_bytes = 4096;  // native stack scanned from the stack pointer
};

// The lock a thread sleeping in futex() on `futex_addr` waits on, or nullopt.
// `python_frames`: the thread's Python frame addresses, innermost first
// (PyFrameObject* <=3.10, _PyInterpreterFrame* 3.11+); `stack_pointer`: its
// user stack pointer (0: unknown).
std::optional<PyLockObject> find_waited_lock(const RemoteObjects& ro, uint64_t futex_addr,
                                             std::span<const uint64_t> python_frames,
                                             uint64_t stack_pointer,
                                             const LockSearchLimits& limits = {});

}  // namespace corostack::python
