#include "python/gc_objects.hpp"

#include <fmt/format.h>

namespace corostack::python {
namespace {

// NUM_GENERATIONS in every CPython 3.x with generational GC (3.8-3.13).
constexpr uint64_t kGenerations = 3;
// _gc_next's low bits: NEXT_MASK_UNREACHABLE during a collection; heads are
// at least 8-byte aligned, so masking them off is always safe.
constexpr uint64_t kNextFlagBits = 7;

}  // namespace

GcWalkResult for_each_gc_object(const RemoteObjects& ro, const PythonRuntime& runtime,
                                size_t max_objects, const std::function<bool(RemoteAddr)>& visit) {
  GcWalkResult out;
  const PythonLayout& l = ro.layout();
  // Where generations[] and permanent_generation are, per version.
  RemoteAddr base;
  FieldLoc gens, permanent;
  if (l.interp_gc_generations.present()) {
    base = runtime.interp_head;
    gens = l.interp_gc_generations;
    permanent = l.interp_gc_permanent;
  } else if (l.runtime_gc_generations.present()) {
    base = runtime.runtime;
    gens = l.runtime_gc_generations;
    permanent = l.runtime_gc_permanent;
  }
  if (base.is_null() || !l.gchead_next.present() || !l.gchead.present() || gens.size <= 0) {
    out.errors.push_back("the GC's object lists are read on CPython 3.8+ only");
    return out;
  }
  std::vector<RemoteAddr> heads;
  for (uint64_t g = 0; g < kGenerations; ++g) {
    heads.push_back(base + (gens.offset + g * gens.size + l.gcgen_head.offset));
  }
  if (permanent.present()) heads.push_back(base + (permanent.offset + l.gcgen_head.offset));

  for (RemoteAddr head : heads) {
    RemoteAddr node = head;
    for (;;) {
      auto next = ro.read_uint(node, l.gchead_next.offset, 8);
      if (!next) {
        out.errors.push_back(fmt::format("GC list unreadable at {:#x}", node.value()));
        break;
      }
      node = RemoteAddr(*next & ~kNextFlagBits);
      if (node == head) break;
      if (node.is_null()) {
        out.errors.push_back("GC list ends in a null link");
        break;
      }
      if (out.visited >= max_objects) {
        out.truncated = true;
        return out;
      }
      ++out.visited;
      if (!visit(node + static_cast<uint64_t>(l.gchead.size))) {
        out.truncated = true;
        return out;
      }
    }
  }
  return out;
}

}  // namespace corostack::python
