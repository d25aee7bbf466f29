#pragma once
// The Python stack walker: from a located runtime to every thread's Python
// frames, for every version with a layout table (one code path; which
// fields a layout has decides how frames are linked). Reads only through a
// MemoryReader, so it runs unchanged inside a live pause, on a core and on a
// fake target. Bounded: thread, frame and locals counts are capped, cycles in
// any list are detected, and a frame that cannot be read ends that thread's
// walk with an error while the other threads go on.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/remote_addr.hpp"
#include "python/code_cache.hpp"
#include "python/object_repr.hpp"
#include "python/python_frame.hpp"
#include "python/python_locator.hpp"
#include "target/memory_reader.hpp"

namespace corostack::python {

// One thread state's Python frames. A thread that runs code of several
// interpreters in turn (a subinterpreter called from another on the same
// thread) has a thread state in each: the walker reports them apart,
// join_interpreter_threads (python/interpreter_threads.hpp) makes one entry
// per OS thread of them, innermost first.
struct PyThread {
  RemoteAddr tstate;  // the innermost interpreter's thread state
  // The thread states of the outer interpreters on this OS thread, inner to outer.
  std::vector<RemoteAddr> outer_tstates;
  std::vector<int64_t> outer_interpreters;  // their interpreters' ids
  int64_t interpreter = -1;                 // PyInterpreterState.id of `tstate` (-1: unknown)
  // An address on the OS thread's C stack inside the innermost eval-loop call
  // of `tstate` (3.12+: its entry shim frame; 3.10-3.11: its _PyCFrame); null
  // when unknown. Orders the thread states of one OS thread: inner calls sit
  // lower on the stack.
  RemoteAddr cstack_anchor;
  uint64_t thread_id = 0;  // pthread_t (threading.get_ident())
  int64_t native_tid = 0;  // kernel TID where the version records it (3.11+), else 0
  bool holds_gil = false;
  std::string name;                 // threading's name for it; empty when unknown
  std::vector<PyFrame> frames;      // innermost first
  std::vector<std::string> errors;  // non-empty: frames are incomplete
};

struct ThreadStateRef {
  RemoteAddr tstate;
  int64_t interpreter = -1;
};

// Every thread state of the OS thread, innermost interpreter's first.
inline std::vector<ThreadStateRef> thread_states(const PyThread& t) {
  std::vector<ThreadStateRef> all;
  if (!t.tstate.is_null()) all.push_back({t.tstate, t.interpreter});
  for (size_t i = 0; i < t.outer_tstates.size(); ++i)
    all.push_back({t.outer_tstates[i],
                   i < t.outer_interpreters.size() ? t.outer_interpreters[i] : int64_t{-1}});
  return all;
}

struct PyInterpreter {
  RemoteAddr address;  // PyInterpreterState*
  int64_t id = -1;     // PyInterpreterState.id (0 = main); -1 where the version has none
};

struct PyProcess {
  std::vector<PyThread> threads;            // one per thread state, until joined
  std::vector<PyInterpreter> interpreters;  // those walked, in list order (newest first)
  std::optional<bool> gc_collecting;        // unknown on 3.6
  bool gil_known = false;                   // false on 3.6: no holder can be named
  // A free-threaded build (3.13t+) runs without a GIL unless it was turned
  // back on (PYTHON_GIL=1): false there, then nobody "holds the GIL".
  std::optional<bool> gil_enabled;
  bool finalizing = false;          // Py_Finalize is running (_PyRuntime._finalizing set)
  std::vector<std::string> errors;  // interpreter-level problems
  size_t code_objects = 0;          // distinct code objects read
};

struct PyWalkOptions {
  bool locals = false;
  bool thread_names = true;  // threading._active → Thread._name
  bool frames = true;        // false: thread states and ids only (cheap, for tid → state maps)
  size_t max_threads = 4096;
  size_t max_frames = 4096;  // per thread
  ReprOptions repr;
  // All locals' reprs of one walk together; past it locals show as "<not read: ...>".
  size_t max_locals_output = 4 << 20;
  // Code objects read by earlier walks (the sampler keeps one across rounds,
  // so each code object and line table is read once per recording). Must
  // read the same target through a reader whose pages are fresh each walk.
  // Null: a cache for this walk only.
  CodeCache* code_cache = nullptr;
};

PyProcess walk_python(const MemoryReader& mem, const PythonRuntime& runtime,
                      const PyWalkOptions& options = {});

// One thread state's frames (up to options.max_frames, innermost first) and
// ids, without the interpreter's other threads: for callers that know which
// thread they want (trace --py, at each system call of that thread).
PyThread walk_python_thread(const MemoryReader& mem, const PythonRuntime& runtime,
                            RemoteAddr tstate, const PyWalkOptions& options = {});

}  // namespace corostack::python
