#include "asyncio/orphaned_waits.hpp"

#include <unordered_map>

#include "python/reference_count.hpp"
#include "python/suspended_frame_slots.hpp"
#include "python/weak_references.hpp"

namespace corostack::asyncio {

using namespace corostack::python;

namespace {

constexpr size_t kMaxSlotsPerFrame = 4096;

// What an intermediate object held in a slot refers to, for the kinds that
// stand between a frame and what it awaits or waits on: a FutureIter (`await
// fut` keeps it on the value stack), a bound method (`async with x` keeps
// x.__aexit__ there) and a cell (a local a closure captured).
std::optional<RemoteAddr> held_through(const RemoteObjects& ro, RemoteAddr obj) {
  const PythonLayout& l = ro.layout();
  auto type = ro.type_name_of(obj);
  if (!type) return std::nullopt;
  FieldLoc f;
  if (type->ends_with("FutureIter"))
    f = l.futureiter_future;
  else if (*type == "method")
    f = l.method_self;
  else if (*type == "cell")
    f = l.cell_ref;
  else
    return std::nullopt;
  if (!f.present()) return std::nullopt;
  return ro.pointer_field(obj, f);
}

}  // namespace

Reachability reachability(const RemoteObjects& ro, std::span<const RemoteAddr> frames,
                          RemoteAddr target, uint64_t waiter_refs, uint64_t* count) {
  auto total = reference_count(ro, target);
  if (!total) return Reachability::kUnknown;
  if (count) *count = *total;
  uint64_t own = waiter_refs;
  std::unordered_map<RemoteAddr, uint64_t> intermediates;  // object -> owned slots holding it
  for (RemoteAddr frame : frames) {
    auto slots = suspended_frame_slots(ro, frame, kMaxSlotsPerFrame);
    if (!slots) return Reachability::kUnknown;
    for (const FrameSlot& s : *slots) {
      if (!s.owned) continue;
      if (s.object == target)
        ++own;
      else
        ++intermediates[s.object];
    }
  }
  // An intermediate counts when these frames hold every reference to it.
  for (const auto& [obj, held] : intermediates) {
    auto to = held_through(ro, obj);
    if (!to || *to != target) continue;
    auto n = reference_count(ro, obj);
    if (n && *n == held) ++own;
  }
  if (own > *total) return Reachability::kUnknown;  // read mid-change, or not what we think
  if (own < *total) return Reachability::kElsewhere;
  auto weak = has_weak_references(ro, target);
  if (!weak) return Reachability::kUnknown;
  return *weak ? Reachability::kElsewhere : Reachability::kOnlyFromTask;
}

}  // namespace corostack::asyncio
