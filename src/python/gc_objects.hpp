#pragma once
// Every object the cyclic GC tracks, read from outside: the generations'
// doubly linked lists of PyGC_Head (Include/internal/pycore_gc.h), each
// head immediately followed by its object. Containers only (coroutines,
// generators, dicts, instances...), not strings or ints. CPython 3.8+: the
// lists live in _PyRuntime.gc (3.8) or in each interpreter's gc (3.9+);
// 3 generations plus the permanent one (gc.freeze()).
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "base/remote_addr.hpp"
#include "python/python_locator.hpp"
#include "python/remote_object.hpp"

namespace corostack::python {

struct GcWalkResult {
  size_t visited = 0;
  bool truncated = false;           // stopped at max_objects or by the visitor
  std::vector<std::string> errors;  // broken links, unreadable heads, unsupported version
};

// Calls visit(object) for each tracked object of the main interpreter until it
// returns false or max_objects objects were seen. Lists are followed forward
// only with a bound, so a corrupt or cyclic list ends the walk with an error.
GcWalkResult for_each_gc_object(const RemoteObjects& ro, const PythonRuntime& runtime,
                                size_t max_objects, const std::function<bool(RemoteAddr)>& visit);

}  // namespace corostack::python
