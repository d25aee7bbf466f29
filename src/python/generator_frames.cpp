#include "python/generator_frames.hpp"

#include <array>
#include <cstddef>

#include "python/stack_ref.hpp"

namespace corostack::python {
namespace {

// gi_frame_state values (3.11+, enum _framestate in pycore_frame.h).
struct FrameStates {
  int created;
  int suspended;
  std::optional<int> suspended_yield_from;  // 3.13+
  int executing;
  int completed;  // this and above: finished
  // 3.15: FRAME_SUSPENDED_YIELD_FROM_LOCKED, a free-threaded transient state.
  // kNoState where there is none.
  int suspended_yield_from_locked;
  // Where the awaited object sits below stackpointer: _PyFrame_StackPeek(f)
  // in 3.14 (top[-1]), _PyFrame_StackPeek(f, 2) in 3.15 (gen_getyieldfrom).
  uint64_t yield_from_depth;
};
constexpr int kNoState = -128;

std::optional<FrameStates> frame_states(int minor) {
  if (minor == 11 || minor == 12) return FrameStates{-2, -1, std::nullopt, 0, 1, kNoState, 1};
  // 3.13 and 3.14 (Include/internal/pycore_frame.h of each).
  if (minor == 13 || minor == 14) return FrameStates{-3, -2, -1, 0, 1, kNoState, 1};
  // 3.15 renumbers them (CREATED 0, SUSPENDED 1, SUSPENDED_YIELD_FROM 2,
  // ..._LOCKED 3, EXECUTING 4, CLEARED 5; COMPLETED is gone).
  if (minor == 15) return FrameStates{0, 1, 2, 4, 5, 3, 2};
  return std::nullopt;
}

// Opcodes that resume a frame (RESUME and its specialised/instrumented forms).
std::array<int, 3> resume_opcodes(int minor) {
  if (minor == 11) return {151, 150, -1};  // RESUME, RESUME_QUICK
  if (minor == 12) return {151, 240, -1};  // RESUME, INSTRUMENTED_RESUME
  return {-1, -1, -1};
}

constexpr int kYieldFrom = 72;  // <=3.10

// The value-stack slot just below `top` (top[-1]), when it holds an object.
std::optional<RemoteAddr> peek(const RemoteObjects& ro, RemoteAddr top) {
  if (top.value() < 8) return std::nullopt;
  auto v = ro.word(RemoteAddr(top.value() - 8));
  if (!v) return std::nullopt;
  auto object = stack_ref_object(*v);
  if (!object || object->is_null()) return std::nullopt;
  return object;
}

std::optional<uint8_t> code_byte(const RemoteObjects& ro, RemoteAddr code, uint64_t index) {
  const PythonLayout& l = ro.layout();
  auto bytes = ro.pointer_field(code, l.code_code);
  auto size = bytes ? ro.field(*bytes, l.varobject_size) : std::nullopt;
  if (!bytes || !size || index >= *size) return std::nullopt;
  auto b = ro.read_uint(*bytes, static_cast<uint64_t>(l.bytes_sval.offset) + index, 1);
  if (!b) return std::nullopt;
  return static_cast<uint8_t>(*b);
}

// <=3.10: gi_frame is a PyFrameObject.
std::optional<GeneratorFrame> frame_object_generator(const RemoteObjects& ro, RemoteAddr gen) {
  const PythonLayout& l = ro.layout();
  auto frame = ro.pointer_field(gen, l.gen_frame);
  if (!frame) return std::nullopt;
  GeneratorFrame g;
  g.frame = *frame;
  if (frame->is_null()) {
    g.status = GeneratorStatus::kFinished;
    return g;
  }
  auto lasti = ro.field(*frame, l.frame_lasti);
  auto code = ro.pointer_field(*frame, l.frame_code);
  if (!lasti || !code) return std::nullopt;
  auto last = static_cast<int32_t>(*lasti);
  if (last < 0) {
    g.status = GeneratorStatus::kNotStarted;
    return g;
  }
  if (l.frame_stacktop.present()) {  // <=3.9: f_stacktop is NULL while it runs
    auto top = ro.pointer_field(*frame, l.frame_stacktop);
    if (!top) return std::nullopt;
    if (top->is_null()) {
      g.status = GeneratorStatus::kRunning;
      return g;
    }
    g.status = GeneratorStatus::kSuspended;
    auto next = code_byte(ro, *code, static_cast<uint64_t>(last) + 2);
    if (next && *next == kYieldFrom) g.awaiting = peek(ro, *top);
    return g;
  }
  // 3.10: f_lasti counts code units; the value stack is f_valuestack[f_stackdepth].
  g.status = GeneratorStatus::kSuspended;
  auto next = code_byte(ro, *code, (static_cast<uint64_t>(last) + 1) * 2);
  if (!next || *next != kYieldFrom) return g;
  auto base = ro.pointer_field(*frame, l.frame_valuestack);
  auto depth = ro.field(*frame, l.frame_stackdepth);
  if (!base || !depth) return g;
  auto d = static_cast<int32_t>(*depth);
  if (d <= 0 || d > (1 << 20)) return g;
  auto top = checked_offset(*base, static_cast<uint64_t>(d) * 8);
  if (top) g.awaiting = peek(ro, *top);
  return g;
}

}  // namespace

std::optional<GeneratorFrame> read_generator_frame(const RemoteObjects& ro, RemoteAddr gen,
                                                   int minor) {
  const PythonLayout& l = ro.layout();
  if (l.gen_frame.present()) return frame_object_generator(ro, gen);
  auto states = frame_states(minor);
  if (!states || !l.gen_iframe.present() || !l.gen_frame_state.present()) return std::nullopt;
  auto raw = ro.field(gen, l.gen_frame_state);
  auto iframe = checked_offset(gen, static_cast<uint64_t>(l.gen_iframe.offset));
  if (!raw || !iframe) return std::nullopt;
  auto state = static_cast<int8_t>(*raw);
  GeneratorFrame g;
  g.frame = *iframe;
  if (state == states->created) {
    g.status = GeneratorStatus::kNotStarted;
    return g;
  }
  if (state == states->executing) {
    g.status = GeneratorStatus::kRunning;
    return g;
  }
  if (state >= states->completed) {
    g.status = GeneratorStatus::kFinished;
    g.frame = RemoteAddr();
    return g;
  }
  g.status = GeneratorStatus::kSuspended;
  bool in_yield_from = false;
  if (states->suspended_yield_from) {
    in_yield_from =
        state == *states->suspended_yield_from || state == states->suspended_yield_from_locked;
  } else if (state == states->suspended && l.iframe_prev_instr.present()) {
    auto prev = ro.pointer_field(*iframe, l.iframe_prev_instr);
    auto unit = prev ? ro.read_uint(*prev, 2, 2) : std::nullopt;  // prev_instr[1]
    if (unit) {
      int opcode = static_cast<int>(*unit & 0xff);
      int oparg = static_cast<int>(*unit >> 8);
      auto resumes = resume_opcodes(minor);
      bool resume = false;
      for (int op : resumes) resume |= op >= 0 && op == opcode;
      in_yield_from = resume && oparg >= 2;
    }
  }
  if (!in_yield_from) return g;
  if (l.iframe_stackpointer.present()) {  // 3.14+: a pointer past the top (_PyFrame_StackPeek)
    auto top = ro.pointer_field(*iframe, l.iframe_stackpointer);
    uint64_t below = 8 * (states->yield_from_depth - 1);
    if (top && top->value() >= below) g.awaiting = peek(ro, RemoteAddr(top->value() - below));
    return g;
  }
  auto stacktop = ro.field(*iframe, l.iframe_stacktop);
  if (!stacktop) return g;
  auto top = static_cast<int32_t>(*stacktop);
  if (top <= 0 || top > (1 << 20)) return g;
  auto base = checked_offset(*iframe, static_cast<uint64_t>(l.iframe_localsplus.offset));
  auto slot = base ? checked_offset(*base, static_cast<uint64_t>(top) * 8) : std::nullopt;
  if (slot) g.awaiting = peek(ro, *slot);
  return g;
}

}  // namespace corostack::python
