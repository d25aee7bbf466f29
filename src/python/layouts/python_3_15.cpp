// CPython 3.15: NOT generated. No 3.15 build can be made here (no source
// release reachable), so this is 3.14's generated table with the differences
// read from 3.15's headers (v3.15.2: Include/internal/pycore_debug_offsets.h,
// pycore_tstate.h, pycore_interp_structs.h, pycore_gc.h, Modules/_asynciomodule.c).
// A 3.15 target is always read with its own _Py_DebugOffsets on top (the
// locator applies them), and its asyncio offsets come from its AsyncioDebug
// section; what neither describes is taken from here. Not yet tried on a real
// 3.15 process (README).
#include "python/layouts/all_layouts.hpp"

namespace corostack::python {
namespace {

PythonLayout from_314(const PythonLayout& base) {
  PythonLayout l = base;
  l.minor = 15;
  // _PyThreadStateImpl grew (an embedded base_frame, c_stack_init_*,
  // generator_return_kind): the asyncio members moved. Known only through the
  // target's AsyncioDebug section, which corostack reads; until then absent.
  l.tstate_asyncio_running_loop = {};
  l.tstate_asyncio_running_task = {};
  l.tstate_asyncio_tasks_head = {};
  // PyInterpreterState fields moved (lazy imports, optimizer config): the
  // ones the walker needs come from _Py_DebugOffsets; the rest are absent.
  l.interp_asyncio_tasks_head = {};
  // _gc_runtime_state was rewritten (generation_stats became a pointer to
  // ring buffers): the GC lists are not described for 3.15.
  l.interp_gc_generations = {};
  l.interp_gc_permanent = {};
  return l;
}

}  // namespace

// Constant-initialized kPython314/kPython314t are ready before these dynamic
// initializers run, whatever the order of translation units.
const PythonLayout kPython315 = from_314(kPython314);
const PythonLayout kPython315t = from_314(kPython314t);

}  // namespace corostack::python
