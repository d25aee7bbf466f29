#include "python/python_walker.hpp"

#include <unordered_set>

#include "python/code_cache.hpp"
#include "python/frame_decoder.hpp"
#include "python/remote_object.hpp"
#include "python/thread_names.hpp"

namespace corostack::python {
namespace {

// _PyInterpreterFrame.owner values from which a frame is a shim, not Python
// code: the frame _PyEval_EvalFrameDefault pushes on entry is
// FRAME_OWNED_BY_CSTACK = 3 in 3.12-3.13 (Include/internal/pycore_frame.h);
// 3.14 renumbers it FRAME_OWNED_BY_INTERPRETER = 3 and adds CSTACK = 4
// (pycore_interpframe_structs.h), and tests `owner >= FRAME_OWNED_BY_INTERPRETER`
// itself (_PyFrame_IsIncomplete). 3.11 marks entry frames with is_entry instead.
constexpr uint64_t kFirstShimOwner = 3;
constexpr uint64_t kOwnedByGenerator = 1;
constexpr size_t kMaxInterpreters = 64;
// A _PyCFrame pointer this close past its thread state is the state's own
// root_cframe (PyThreadState is a few hundred bytes in 3.10-3.12), not a C
// stack address.
constexpr uint64_t kThreadStateSpan = 4096;

class Walker {
 public:
  Walker(const MemoryReader& mem, const PythonRuntime& rt, const PyWalkOptions& opt)
      : rt_(rt),
        l_(*rt.layout),
        opt_(opt),
        ro_(mem, l_),
        own_codes_(ro_),
        codes_(opt.code_cache ? *opt.code_cache : own_codes_),
        frames_(rt, ro_, codes_, {opt.locals, opt.repr, opt.max_locals_output}) {}

  PyProcess run();
  void walk_thread(RemoteAddr tstate, PyThread& t);

 private:
  void walk_interpreter(RemoteAddr interp);
  void walk_frame_objects(RemoteAddr frame, PyThread& t);
  void walk_interpreter_frames(RemoteAddr iframe, PyThread& t);
  // Appends a decoded frame, or records why it could not be and returns false.
  bool add_frame(Result<PyFrame> frame, PyThread& t);
  std::optional<RemoteAddr> gil_holder(RemoteAddr interp);

  const PythonRuntime& rt_;
  const PythonLayout& l_;
  const PyWalkOptions& opt_;
  RemoteObjects ro_;
  CodeCache own_codes_;
  CodeCache& codes_;
  FrameDecoder frames_;
  PyProcess out_;
};

PyProcess Walker::run() {
  if (l_.runtime_finalizing.present()) {
    if (auto f = ro_.field(rt_.runtime, l_.runtime_finalizing)) out_.finalizing = *f != 0;
  }
  std::unordered_set<RemoteAddr> seen;
  RemoteAddr interp = rt_.interp_head;
  while (!interp.is_null()) {
    if (!seen.insert(interp).second) {
      out_.errors.push_back("interpreter list has a cycle");
      break;
    }
    if (seen.size() > kMaxInterpreters) {
      out_.errors.push_back("more than " + std::to_string(kMaxInterpreters) + " interpreters");
      break;
    }
    walk_interpreter(interp);
    auto next = ro_.pointer_field(interp, l_.interp_next);
    if (!next) {
      out_.errors.push_back("interpreter list unreadable");
      break;
    }
    interp = *next;
  }
  out_.code_objects = codes_.size();
  return std::move(out_);
}

std::optional<RemoteAddr> Walker::gil_holder(RemoteAddr interp) {
  std::optional<RemoteAddr> gil;
  if (l_.runtime_gil.present()) {
    gil = checked_offset(rt_.runtime, static_cast<uint64_t>(l_.runtime_gil.offset));
  } else if (l_.interp_ceval_gil.present()) {
    gil = ro_.pointer_field(interp, l_.interp_ceval_gil);
  } else if (!rt_.tstate_current.is_null()) {
    // 2.7, 3.6: the global _PyThreadState_Current, NULL while nobody holds it.
    auto holder = ro_.word(rt_.tstate_current);
    if (!holder) return std::nullopt;
    out_.gil_known = true;
    return RemoteAddr(*holder);
  }
  if (!gil || gil->is_null()) return std::nullopt;
  if (l_.gil_enabled.present()) {
    auto enabled = ro_.field(*gil, l_.gil_enabled);
    if (!enabled) return std::nullopt;
    out_.gil_enabled = *enabled != 0;
    if (*enabled == 0) {
      out_.gil_known = true;
      return RemoteAddr();  // free-threaded: nobody holds a GIL
    }
  }
  out_.gil_known = true;
  auto locked = ro_.field(*gil, l_.gil_locked);
  auto holder = ro_.pointer_field(*gil, l_.gil_last_holder);
  if (!locked || !holder) {
    out_.gil_known = false;
    return std::nullopt;
  }
  if (*locked == 0) return RemoteAddr();  // nobody holds it
  return *holder;
}

void Walker::walk_interpreter(RemoteAddr interp) {
  int64_t id = -1;
  if (l_.interp_id.present()) {
    if (auto v = ro_.field(interp, l_.interp_id)) id = static_cast<int64_t>(*v);
  }
  out_.interpreters.push_back({interp, id});
  std::optional<RemoteAddr> holder = gil_holder(interp);
  std::unordered_map<uint64_t, std::string> names;
  if (opt_.thread_names) names = read_thread_names(ro_, interp);
  if (l_.interp_gc_collecting.present()) {
    if (auto c = ro_.field(interp, l_.interp_gc_collecting)) out_.gc_collecting = *c != 0;
  } else if (l_.runtime_gc_collecting.present()) {
    if (auto c = ro_.field(rt_.runtime, l_.runtime_gc_collecting)) out_.gc_collecting = *c != 0;
  } else if (!rt_.gc_collecting_flag.is_null()) {
    if (auto c = ro_.field(rt_.gc_collecting_flag, FieldLoc{0, 4})) out_.gc_collecting = *c != 0;
  }

  auto head = ro_.pointer_field(interp, l_.interp_threads_head);
  if (!head) {
    out_.errors.push_back("thread list of an interpreter unreadable");
    return;
  }
  std::unordered_set<RemoteAddr> seen;
  for (RemoteAddr ts = *head; !ts.is_null();) {
    if (!seen.insert(ts).second) {
      out_.errors.push_back("thread list has a cycle");
      return;
    }
    if (out_.threads.size() >= opt_.max_threads) {
      out_.errors.push_back("more than " + std::to_string(opt_.max_threads) + " Python threads");
      return;
    }
    PyThread t;
    t.tstate = ts;
    t.interpreter = id;
    t.holds_gil = holder && *holder == ts;
    walk_thread(ts, t);
    for (PyFrame& f : t.frames) f.interpreter = id;
    if (auto it = names.find(t.thread_id); it != names.end()) t.name = it->second;
    out_.threads.push_back(std::move(t));
    auto next = ro_.pointer_field(ts, l_.tstate_next);
    if (!next) {
      out_.errors.push_back("thread list unreadable");
      return;
    }
    ts = *next;
  }
}

void Walker::walk_thread(RemoteAddr tstate, PyThread& t) {
  if (auto id = ro_.field(tstate, l_.tstate_thread_id)) {
    t.thread_id = *id;
  } else {
    t.errors.push_back("thread state unreadable");
    return;
  }
  if (auto tid = ro_.field(tstate, l_.tstate_native_thread_id))
    t.native_tid = static_cast<int64_t>(*tid);
  // 3.10-3.12: the _PyCFrame the innermost eval-loop call keeps on the C
  // stack (the thread state's own root_cframe when it runs none).
  std::optional<RemoteAddr> cframe;
  if (l_.tstate_cframe.present()) cframe = ro_.pointer_field(tstate, l_.tstate_cframe);
  if (cframe && !cframe->is_null() && cframe->value() - tstate.value() >= kThreadStateSpan)
    t.cstack_anchor = *cframe;
  if (!opt_.frames) return;

  if (l_.tstate_frame.present()) {
    auto frame = ro_.pointer_field(tstate, l_.tstate_frame);
    if (!frame) return t.errors.push_back("current frame unreadable");
    return walk_frame_objects(*frame, t);
  }
  std::optional<RemoteAddr> iframe;
  if (l_.tstate_current_frame.present()) {
    iframe = ro_.pointer_field(tstate, l_.tstate_current_frame);
  } else if (cframe) {
    if (!cframe->is_null())
      iframe = ro_.pointer_field(*cframe, l_.cframe_current_frame);
    else
      iframe = RemoteAddr();
  }
  if (!iframe) return t.errors.push_back("current frame unreadable");
  walk_interpreter_frames(*iframe, t);
}

// <=3.10: a list of PyFrameObjects; each ran in its own eval-loop call.
void Walker::walk_frame_objects(RemoteAddr frame, PyThread& t) {
  std::unordered_set<RemoteAddr> seen;
  for (; !frame.is_null();) {
    if (!seen.insert(frame).second) return t.errors.push_back("frame list has a cycle");
    if (t.frames.size() >= opt_.max_frames)
      return t.errors.push_back("more than " + std::to_string(opt_.max_frames) + " frames");
    if (!add_frame(frames_.frame_object(frame), t)) return;
    t.frames.back().entry = true;
    auto back = ro_.pointer_field(frame, l_.frame_back);
    if (!back) return t.errors.push_back("frame list unreadable");
    frame = *back;
  }
}

// 3.11+: _PyInterpreterFrames linked by `previous`; several per eval-loop call.
void Walker::walk_interpreter_frames(RemoteAddr iframe, PyThread& t) {
  std::unordered_set<RemoteAddr> seen;
  bool anchored = false;
  for (; !iframe.is_null();) {
    if (!seen.insert(iframe).second) return t.errors.push_back("frame list has a cycle");
    if (seen.size() > opt_.max_frames)
      return t.errors.push_back("more than " + std::to_string(opt_.max_frames) + " frames");
    auto previous = ro_.pointer_field(iframe, l_.iframe_previous);
    auto owner = ro_.field(iframe, l_.iframe_owner);
    if (!previous || !owner) return t.errors.push_back("frame unreadable");
    if (!l_.iframe_is_entry.present() && *owner >= kFirstShimOwner) {
      // The shim below each eval-loop call: the frame above it was that call's first.
      if (!t.frames.empty()) t.frames.back().entry = true;
      // It lives in that call's C frame: the innermost one anchors the thread state.
      if (!anchored) t.cstack_anchor = iframe;
      anchored = true;
      iframe = *previous;
      continue;
    }
    auto pos = frames_.position(iframe);
    if (!pos) return t.errors.push_back("frame unreadable");
    if (!pos->started && pos->owner != kOwnedByGenerator) {
      // Pushed but not started (CPython's _PyFrame_IsIncomplete): not a frame yet.
      // (A generator not started yet is a frame: CPython reports co_firstlineno.)
      iframe = *previous;
      continue;
    }
    auto localsplus = checked_offset(iframe, static_cast<uint64_t>(l_.iframe_localsplus.offset));
    if (!add_frame(
            frames_.decode(iframe, pos->code, pos->code_unit, localsplus.value_or(RemoteAddr())),
            t))
      return;
    if (l_.iframe_is_entry.present()) {
      if (auto e = ro_.field(iframe, l_.iframe_is_entry)) t.frames.back().entry = *e != 0;
    }
    iframe = *previous;
  }
  if (!t.frames.empty()) t.frames.back().entry = true;
}

bool Walker::add_frame(Result<PyFrame> frame, PyThread& t) {
  if (!frame) {
    t.errors.push_back(frame.error().message);
    return false;
  }
  t.frames.push_back(std::move(*frame));
  return true;
}

}  // namespace

PyProcess walk_python(const MemoryReader& mem, const PythonRuntime& runtime,
                      const PyWalkOptions& options) {
  if (!runtime.layout || runtime.interp_head.is_null()) {
    PyProcess p;
    p.errors.push_back("no layout for Python " + std::to_string(runtime.major) + "." +
                       std::to_string(runtime.minor));
    return p;
  }
  return Walker(mem, runtime, options).run();
}

PyThread walk_python_thread(const MemoryReader& mem, const PythonRuntime& runtime,
                            RemoteAddr tstate, const PyWalkOptions& options) {
  PyThread t;
  t.tstate = tstate;
  if (!runtime.layout) {
    t.errors.push_back("no layout for Python " + std::to_string(runtime.major) + "." +
                       std::to_string(runtime.minor));
    return t;
  }
  Walker(mem, runtime, options).walk_thread(tstate, t);
  return t;
}

}  // namespace corostack::python
