// The asyncio walker over hostile memory: sys.modules → asyncio.tasks
// globals → the task registries (WeakSet/set), C and pure-Python task
// objects, coroutine chains, futures, done callbacks, the await graph and
// its cycles, event loops, and the GC-list search for unawaited coroutines.
// Same input shape as fuzz_python_walker; the thread walk runs first, as in
// `corostack tasks`.
#include "asyncio/asyncio_walker.hpp"
#include "fake_python_memory.hpp"
#include "python/python_walker.hpp"

using namespace corostack;

FUZZ_ENTRY(fuzz_asyncio_walker) {
  auto in = fuzz::fake_python_input(data, size);
  if (!in) return 0;
  python::PyWalkOptions wopt;
  wopt.thread_names = false;
  wopt.max_threads = 8;
  wopt.max_frames = 32;
  auto threads = python::walk_python(in->target, in->runtime, wopt);
  asyncio::AsyncWalkOptions opt;
  opt.max_tasks = 256;
  opt.max_stack = 32;
  opt.max_callbacks = 16;
  opt.find_unawaited = in->flags & 4;
  opt.max_gc_objects = 4096;
  opt.max_unawaited = 64;
  auto s = asyncio::walk_asyncio(in->target, in->runtime, threads, opt);
  FUZZ_CHECK(s.tasks.size() <= opt.max_tasks);
  FUZZ_CHECK(s.unawaited.size() <= opt.max_unawaited);
  for (const auto& t : s.tasks) {
    FUZZ_CHECK(t.stack.size() <= opt.max_stack + wopt.max_frames);
    if (t.awaiting_task) FUZZ_CHECK(*t.awaiting_task < s.tasks.size());
  }
  for (const auto& e : s.edges) FUZZ_CHECK(e.child < s.tasks.size() && e.parent < s.tasks.size());
  for (const auto& c : s.cycles)
    for (size_t i : c) FUZZ_CHECK(i < s.tasks.size());
  for (const auto& l : s.loops)
    if (l.current_task) FUZZ_CHECK(*l.current_task < s.tasks.size());
  return 0;
}
