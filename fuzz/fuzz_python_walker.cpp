// The CPython stack walker over hostile memory: interpreter and thread
// lists, frames (PyFrameObject and _PyInterpreterFrame), code objects, line
// tables, str/bytes objects, locals and their reprs (dicts, tuples, ints...),
// threading's names, through one of the real per-version layout tables.
// Limits are small so one input stays fast; the walker must bound itself.
#include "fake_python_memory.hpp"
#include "python/python_walker.hpp"

using namespace corostack;

FUZZ_ENTRY(fuzz_python_walker) {
  auto in = fuzz::fake_python_input(data, size);
  if (!in) return 0;
  python::PyWalkOptions opt;
  opt.locals = in->flags & 1;
  opt.thread_names = in->flags & 2;
  opt.max_threads = 16;
  opt.max_frames = 64;
  opt.max_locals_output = 64 << 10;
  auto p = python::walk_python(in->target, in->runtime, opt);
  FUZZ_CHECK(p.threads.size() <= opt.max_threads);
  size_t locals_bytes = 0;
  for (const auto& t : p.threads) {
    FUZZ_CHECK(t.frames.size() <= opt.max_frames);
    for (const auto& f : t.frames) {
      for (const auto& l : f.locals) locals_bytes += l.repr.size();
      // Names come from the target and are capped, whatever the stored length says.
      FUZZ_CHECK(f.function.size() < (1 << 20) && f.filename.size() < (1 << 20));
    }
  }
  (void)locals_bytes;
  return 0;
}
