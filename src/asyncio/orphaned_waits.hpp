#pragma once
// Waits nothing can end: a suspended task awaits a future (or an asyncio
// Event, Queue, Lock, Condition, Semaphore) that only the task itself
// references. Nobody else can call set_result(), set() or put() on an object
// they cannot reach, so the task can only end by being cancelled.
//
// Told from reference counts, without walking the heap: the object's count
// is compared with the references the task's own coroutine frames hold
// (their locals and value stacks, directly or through a bound method, cell
// or FutureIter only those frames hold) plus its _fut_waiter. Equal counts
// and no weak reference mean no other task, callback, thread or global holds
// it. It stays a guess: C code may keep a pointer without a reference, and
// an object referenced only from garbage is counted as reachable (so the
// errors go towards saying nothing).
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "base/remote_addr.hpp"
#include "python/remote_object.hpp"

namespace corostack::asyncio {

struct OrphanedWait {
  size_t task = 0;          // index into AsyncioState::tasks
  RemoteAddr object;        // the future, or the asyncio primitive whose waiters hold it
  std::string what;         // its type name: "_asyncio.Future", "Event", "Queue", ...
  uint64_t references = 0;  // its reference count: every one held by the task
  // The task asyncio.run / run_until_complete waits for: awaiting an
  // unreachable future there is the "run forever" idiom, not a bug.
  bool root = false;
};

enum class Reachability {
  kOnlyFromTask,  // every reference is the task's own
  kElsewhere,     // something else references it (or a weak reference may)
  kUnknown,       // unreadable, immortal, or more references found than it has
};

// `frames`: the task's suspended coroutine frames (PyFrame::frame), any
// order; `waiter_refs`: references to target held by the task object itself
// (1 when it is the task's _fut_waiter).
Reachability reachability(const python::RemoteObjects& ro, std::span<const RemoteAddr> frames,
                          RemoteAddr target, uint64_t waiter_refs, uint64_t* count = nullptr);

}  // namespace corostack::asyncio
