#pragma once
// Joining the thread states of one OS thread. Each interpreter keeps its own
// list of thread states, so a thread that runs a subinterpreter's code from
// inside another's (interp.exec(), run_string) appears once per interpreter.
// One thread of the dump is one OS thread: its states are merged, their
// frames ordered innermost first.
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "base/remote_addr.hpp"
#include "python/python_walker.hpp"

namespace corostack::python {

// The kernel TID of the thread whose stack holds an address, if known.
using StackOwner = std::function<std::optional<int64_t>(RemoteAddr)>;

// First, a state whose C-stack anchor lies on another thread's stack than
// the one it records is moved to that thread: 3.12 runs a subinterpreter
// called from a new thread on the interpreter's first thread state, still
// marked with the thread that created it (CPython gh-109860). Then the
// entries that share an OS thread (the same kernel TID where known, else
// the same pthread_t) are merged, in the place of the first. Order within an
// OS thread: by cstack_anchor, lowest (innermost) first, when every state
// with frames has one; otherwise by interpreter id, highest first (a
// subinterpreter runs inside the one that created it, usually older), the
// main interpreter (0) outermost.
void join_interpreter_threads(std::vector<PyThread>& threads, const StackOwner& owner = {});

}  // namespace corostack::python
