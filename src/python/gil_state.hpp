#pragma once
// The GIL as `doctor` reads it (docs/python-layouts.md, "Locks and the GIL"):
// the _gil_runtime_state of each interpreter (embedded in _PyRuntime
// <=3.11, pointed at by interp->ceval.gil 3.12+, where subinterpreters may
// share the main one's), whether it is locked, by which thread state, how
// many times it changed hands (switch_number), and where a thread that wants
// it sleeps: pthread_cond_wait on `cond` (take_gil) or, briefly, the mutex.
// A stripped interpreter (Debian's python3.11) shows no take_gil frame, but
// the waiter's futex() address still lies inside `cond`.
#include <cstdint>
#include <optional>
#include <vector>

#include "base/remote_addr.hpp"
#include "python/remote_object.hpp"

namespace corostack::python {

struct GilState {
  RemoteAddr address;  // the _gil_runtime_state
  bool locked = false;
  RemoteAddr last_holder;  // PyThreadState* that took it last (the holder while locked)
  std::optional<uint64_t> switch_number;
  std::optional<bool> enabled;  // free-threaded builds: false = running without a GIL
  // The futex words a thread that wants the GIL sleeps on: [begin, end).
  uint64_t cond_begin = 0, cond_end = 0;
  uint64_t mutex_begin = 0, mutex_end = 0;

  bool is_wait_address(uint64_t futex) const {
    return (futex >= cond_begin && futex < cond_end) || (futex >= mutex_begin && futex < mutex_end);
  }
};

// The GIL of interpreter `interp` (ignored <=3.11: one GIL in _PyRuntime at
// `runtime`). nullopt when the version keeps no _gil_runtime_state we know
// (2.7, 3.6) or it cannot be read.
std::optional<GilState> read_gil_state(const RemoteObjects& ro, RemoteAddr runtime,
                                       RemoteAddr interp);

// The GILs of every interpreter in the list starting at `interp_head`, one
// entry per distinct GIL (interpreters may share the main one), at most 64.
std::vector<GilState> read_gil_states(const RemoteObjects& ro, RemoteAddr runtime,
                                      RemoteAddr interp_head);

}  // namespace corostack::python
