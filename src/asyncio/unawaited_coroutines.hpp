#pragma once
// Coroutines created but never awaited or scheduled: the objects behind
// CPython's "coroutine ... was never awaited" warning, found before the GC
// gets to warn. A coroutine object in the GC's lists that has not started
// and that no task owns (a task's coroutine waits unstarted until the loop
// first steps it, so those are not bugs).
#include <cstddef>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/remote_addr.hpp"
#include "python/frame_decoder.hpp"
#include "python/gc_objects.hpp"
#include "python/python_locator.hpp"
#include "python/remote_object.hpp"

namespace corostack::asyncio {

struct UnawaitedCoroutine {
  RemoteAddr address;
  std::string qualname;  // __qualname__ (gi_qualname)
  std::string filename;
  int line = 0;  // the def line
};

struct UnawaitedScan {
  std::vector<UnawaitedCoroutine> coroutines;
  size_t objects_scanned = 0;
  std::vector<std::string> errors;  // non-empty: the list may be incomplete
};

// `owned`: the coroutines of known tasks, which are not reported. Objects
// come from the GC's lists.
UnawaitedScan find_unawaited_coroutines(const python::RemoteObjects& ro,
                                        const python::PythonRuntime& runtime,
                                        python::FrameDecoder& frames,
                                        const std::unordered_set<RemoteAddr>& owned,
                                        size_t max_objects, size_t max_reported);

// The same over another source of objects (a free-threaded build's heap
// scan): `source(max_objects, visit)` calls visit for each candidate.
using ObjectSource = std::function<python::GcWalkResult(
    size_t max_objects, const std::function<bool(RemoteAddr)>& visit)>;
UnawaitedScan find_unawaited_coroutines_from(const python::RemoteObjects& ro,
                                             const python::PythonRuntime& runtime,
                                             python::FrameDecoder& frames,
                                             const std::unordered_set<RemoteAddr>& owned,
                                             const ObjectSource& source, size_t max_objects,
                                             size_t max_reported);

}  // namespace corostack::asyncio
