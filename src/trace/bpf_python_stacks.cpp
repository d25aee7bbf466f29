#include "trace/bpf_python_stacks.hpp"

#include <limits>

#include "base/clock.hpp"
#include "python/frame_decoder.hpp"
#include "trace/located_python.hpp"

namespace corostack::trace {
namespace {

constexpr uint64_t kLocateRetryNs = 50'000'000;
// _PyInterpreterFrame.owner from which a frame is a shim (as the walker:
// FRAME_OWNED_BY_CSTACK = 3 in 3.12-3.13, FRAME_OWNED_BY_INTERPRETER = 3 in
// 3.14); 3.11 marks entry frames with is_entry and has no shims.
constexpr uint8_t kFirstShimOwner = 3;
constexpr uint64_t kOwnedByGenerator = 1;

bool fits(const python::FieldLoc& f) {
  return f.present() && f.offset <= std::numeric_limits<int16_t>::max();
}

int16_t offset(const python::FieldLoc& f) {
  return fits(f) ? static_cast<int16_t>(f.offset) : int16_t{-1};
}

}  // namespace

std::optional<BpfPythonLayout> bpf_python_layout(const python::PythonLayout& l,
                                                 uint64_t interp_head_slot) {
  BpfPythonLayout b;
  b.interp_head_slot = interp_head_slot;
  b.interp_next = offset(l.interp_next);
  b.interp_threads_head = offset(l.interp_threads_head);
  b.tstate_next = offset(l.tstate_next);
  b.match_native_tid = l.tstate_native_thread_id.present();
  b.tstate_id = offset(b.match_native_tid ? l.tstate_native_thread_id : l.tstate_thread_id);
  if (!fits(l.interp_threads_head) || !fits(l.tstate_next) || b.tstate_id < 0) return std::nullopt;
  if (l.tstate_frame.present()) {
    // <= 3.10: PyFrameObjects, each position an int f_lasti.
    b.model = BpfPythonLayout::kFrameObjects;
    b.tstate_frame = offset(l.tstate_frame);
    b.frame_previous = offset(l.frame_back);
    b.frame_code = offset(l.frame_code);
    b.frame_position = offset(l.frame_lasti);
    b.position_size = 4;
    if (l.frame_lasti.size != 4) return std::nullopt;
  } else {
    if (l.tstate_current_frame.present()) {
      b.model = BpfPythonLayout::kCurrentFrame;
      b.tstate_frame = offset(l.tstate_current_frame);
      if (b.tstate_frame < 0) return std::nullopt;
    } else {
      b.model = BpfPythonLayout::kCFrame;
      b.tstate_cframe = offset(l.tstate_cframe);
      b.cframe_current_frame = offset(l.cframe_current_frame);
      if (b.tstate_cframe < 0 || b.cframe_current_frame < 0) return std::nullopt;
    }
    b.frame_previous = offset(l.iframe_previous);
    b.frame_code = offset(l.iframe_code);
    b.frame_position =
        offset(l.iframe_prev_instr.present() ? l.iframe_prev_instr : l.iframe_instr_ptr);
    b.position_size = 8;
    b.frame_owner = offset(l.iframe_owner);
    if (b.frame_owner < 0) return std::nullopt;
    if (!l.iframe_is_entry.present()) b.shim_owner_min = kFirstShimOwner;
    if (l.iframe_tlbc_index.present() && l.code_tlbc.present())
      b.frame_tlbc_index = offset(l.iframe_tlbc_index);
  }
  if (b.tstate_frame < 0 && b.model != BpfPythonLayout::kCFrame) return std::nullopt;
  if (b.frame_previous < 0 || b.frame_code < 0 || b.frame_position < 0) return std::nullopt;
  return b;
}

struct BpfPythonStacks::Process {
  std::unique_ptr<LocatedPython> py;
  std::optional<python::FrameDecoder> decoder;
  std::optional<BpfPythonLayout> layout;
  Error last_error{ErrorKind::kNotFound, "not located yet"};
  uint64_t next_try_ns = 0;
};

BpfPythonStacks::BpfPythonStacks() = default;
BpfPythonStacks::~BpfPythonStacks() = default;

Result<BpfPythonLayout> BpfPythonStacks::locate(pid_t tgid) {
  auto& slot = processes_[tgid];
  if (!slot) slot = std::make_unique<Process>();
  Process& p = *slot;
  if (p.layout) return *p.layout;
  if (clock_ns() < p.next_try_ns) return p.last_error;
  p.next_try_ns = clock_ns() + kLocateRetryNs;
  auto located = LocatedPython::locate(tgid);
  if (!located) return p.last_error = located.error();
  auto layout =
      bpf_python_layout(*(*located)->runtime.layout, (*located)->interp_head_slot.value());
  if (!layout)
    return p.last_error = make_error(ErrorKind::kUnsupported,
                                     "this Python's frames cannot be walked in the kernel");
  p.py = std::move(*located);
  p.decoder.emplace(p.py->runtime, *p.py->ro, *p.py->codes, python::FrameDecodeOptions{});
  p.layout = layout;
  return *layout;
}

Result<std::vector<python::PyFrame>> BpfPythonStacks::resolve(pid_t tgid,
                                                              std::span<const BpfPyFrame> frames,
                                                              std::vector<uint64_t>* codes_read) {
  auto it = processes_.find(tgid);
  if (it == processes_.end() || !it->second->py) {
    // A forked child: the kernel copied its parent's layout; find its own
    // interpreter (the same addresses) to read its code objects.
    auto l = locate(tgid);
    if (!l) return l.error();
    it = processes_.find(tgid);
  }
  Process& p = *it->second;
  p.py->proc->clear_cache();  // the process ran on since the last record
  std::vector<python::PyFrame> out;
  for (const BpfPyFrame& f : frames) {
    Result<python::PyFrame> frame = make_error(ErrorKind::kUnreadable, "");
    if (p.layout->model == BpfPythonLayout::kFrameObjects) {
      frame = p.decoder->decode_lasti(RemoteAddr(), RemoteAddr(f.code),
                                      static_cast<int32_t>(f.position), RemoteAddr());
    } else {
      std::optional<int32_t> tlbc;
      if (p.layout->frame_tlbc_index >= 0) tlbc = f.tlbc_index;
      auto pos = p.decoder->position_of(f.code, f.owner, RemoteAddr(f.position), tlbc);
      if (!pos) {
        frame = pos.error();
      } else if (!pos->started && pos->owner != kOwnedByGenerator) {
        continue;  // pushed, not started (_PyFrame_IsIncomplete): not a frame yet
      } else {
        frame = p.decoder->decode(RemoteAddr(), pos->code, pos->code_unit, RemoteAddr());
      }
    }
    if (!frame) {
      if (out.empty()) return frame.error();
      break;  // what was read before stays
    }
    out.push_back(std::move(*frame));
    if (codes_read) codes_read->push_back(f.code);
  }
  return out;
}

void BpfPythonStacks::forget(pid_t tgid) {
  processes_.erase(tgid);
}

}  // namespace corostack::trace
