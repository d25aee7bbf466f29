#include "python/suspended_frame_slots.hpp"

#include "python/stack_ref.hpp"

namespace corostack::python {
namespace {

// [begin, end) of the slots, from the frame's own fields.
struct SlotRange {
  RemoteAddr begin;
  RemoteAddr end;
};

std::optional<SlotRange> slot_range(const RemoteObjects& ro, RemoteAddr frame) {
  const PythonLayout& l = ro.layout();
  if (l.iframe_localsplus.present()) {  // 3.11+
    auto begin = checked_offset(frame, static_cast<uint64_t>(l.iframe_localsplus.offset));
    if (!begin) return std::nullopt;
    if (l.iframe_stackpointer.present()) {
      auto end = ro.pointer_field(frame, l.iframe_stackpointer);
      if (!end) return std::nullopt;
      return SlotRange{*begin, *end};
    }
    auto top = ro.field(frame, l.iframe_stacktop);
    if (!top) return std::nullopt;
    auto index = static_cast<int32_t>(*top);
    if (index < 0) return std::nullopt;
    auto end = checked_offset(*begin, static_cast<uint64_t>(index) * 8);
    if (!end) return std::nullopt;
    return SlotRange{*begin, *end};
  }
  if (!l.frame_localsplus.present()) return std::nullopt;
  auto begin = checked_offset(frame, static_cast<uint64_t>(l.frame_localsplus.offset));
  if (!begin) return std::nullopt;
  if (l.frame_stacktop.present()) {  // <=3.9: NULL while the frame runs
    auto end = ro.pointer_field(frame, l.frame_stacktop);
    if (!end || end->is_null()) return std::nullopt;
    return SlotRange{*begin, *end};
  }
  auto base = ro.pointer_field(frame, l.frame_valuestack);  // 3.10
  auto depth = ro.field(frame, l.frame_stackdepth);
  if (!base || !depth) return std::nullopt;
  auto d = static_cast<int32_t>(*depth);
  if (d < 0) return std::nullopt;
  auto end = checked_offset(*base, static_cast<uint64_t>(d) * 8);
  if (!end) return std::nullopt;
  return SlotRange{*begin, *end};
}

}  // namespace

std::optional<std::vector<FrameSlot>> suspended_frame_slots(const RemoteObjects& ro,
                                                            RemoteAddr frame, size_t max_slots) {
  auto range = slot_range(ro, frame);
  if (!range || range->end.value() < range->begin.value()) return std::nullopt;
  uint64_t bytes = range->end.value() - range->begin.value();
  if (bytes % 8 != 0 || bytes / 8 > max_slots) return std::nullopt;
  std::vector<FrameSlot> out;
  for (uint64_t off = 0; off < bytes; off += 8) {
    auto bits = ro.word(range->begin, off);
    if (!bits) return std::nullopt;
    auto object = stack_ref_object(*bits);
    if (!object || object->is_null()) continue;
    out.push_back({*object, (*bits & kStackRefTagBits) == 0});
  }
  return out;
}

}  // namespace corostack::python
