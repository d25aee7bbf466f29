#pragma once
// A traced process's interpreter, found once per process for --py (both
// backends): the live process, its runtime and the readers over it. Held by
// unique_ptr: the readers keep references to the process and the layout.
#include <sys/types.h>

#include <memory>
#include <optional>

#include "base/remote_addr.hpp"
#include "base/result.hpp"
#include "python/code_cache.hpp"
#include "python/python_locator.hpp"
#include "python/remote_object.hpp"
#include "target/live_process.hpp"

namespace corostack::trace {

struct LocatedPython {
  std::unique_ptr<LiveProcess> proc;
  python::PythonRuntime runtime;
  std::optional<python::RemoteObjects> ro;
  std::optional<python::CodeCache> codes;
  // Where the runtime keeps its first PyInterpreterState* (3.7+: a field of
  // _PyRuntime; 3.6 and 2.7: the `interp_head` variable itself).
  RemoteAddr interp_head_slot;

  // kNotFound when the process runs no Python (or none yet: a command just
  // started); kUnsupported when it does but its version cannot be read.
  static Result<std::unique_ptr<LocatedPython>> locate(pid_t tgid);
};

}  // namespace corostack::trace
