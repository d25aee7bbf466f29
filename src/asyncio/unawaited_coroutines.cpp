#include "asyncio/unawaited_coroutines.hpp"

#include <fmt/format.h>

#include "python/gc_objects.hpp"
#include "python/generator_frames.hpp"

namespace corostack::asyncio {

// Python objects read from the target, throughout.
using namespace corostack::python;

namespace {

constexpr size_t kMaxCoroNameCodePoints = 256;

}  // namespace

UnawaitedScan find_unawaited_coroutines(const RemoteObjects& ro, const PythonRuntime& runtime,
                                        FrameDecoder& frames,
                                        const std::unordered_set<RemoteAddr>& owned,
                                        size_t max_objects, size_t max_reported) {
  return find_unawaited_coroutines_from(
      ro, runtime, frames, owned,
      [&](size_t max, const std::function<bool(RemoteAddr)>& visit) {
        return for_each_gc_object(ro, runtime, max, visit);
      },
      max_objects, max_reported);
}

UnawaitedScan find_unawaited_coroutines_from(const RemoteObjects& ro, const PythonRuntime& runtime,
                                             FrameDecoder& frames,
                                             const std::unordered_set<RemoteAddr>& owned,
                                             const ObjectSource& source, size_t max_objects,
                                             size_t max_reported) {
  UnawaitedScan out;
  const PythonLayout& l = ro.layout();
  std::vector<RemoteAddr> found;
  auto walk = source(max_objects, [&](RemoteAddr obj) {
    auto type = ro.type_name_of(obj);
    if (!type || *type != "coroutine" || owned.count(obj)) return true;
    auto g = read_generator_frame(ro, obj, runtime.minor);
    if (!g || g->status != GeneratorStatus::kNotStarted) return true;
    found.push_back(obj);
    return found.size() < max_reported;
  });
  out.objects_scanned = walk.visited;
  out.errors = std::move(walk.errors);
  if (walk.truncated && (walk.errors.empty() || found.size() >= max_reported)) {
    out.errors.push_back(found.size() >= max_reported
                             ? fmt::format("more than {} unawaited coroutines", max_reported)
                             : fmt::format("more than {} objects: not all were searched for "
                                           "unawaited coroutines",
                                           max_objects));
  }
  for (RemoteAddr obj : found) {
    UnawaitedCoroutine c;
    c.address = obj;
    if (auto q = ro.pointer_field(obj, l.gen_qualname)) {
      if (auto s = ro.str_utf8(*q, kMaxCoroNameCodePoints)) c.qualname = std::move(*s);
    }
    if (auto g = read_generator_frame(ro, obj, runtime.minor); g && !g->frame.is_null()) {
      auto f = l.gen_frame.present() ? frames.frame_object(g->frame)
                                     : frames.interpreter_frame(g->frame);
      if (f) {
        c.filename = f->filename;
        c.line = f->line;
        if (c.qualname.empty()) c.qualname = f->function;
      }
    }
    out.coroutines.push_back(std::move(c));
  }
  return out;
}

}  // namespace corostack::asyncio
