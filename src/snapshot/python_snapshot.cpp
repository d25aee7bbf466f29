#include "snapshot/python_snapshot.hpp"

#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include "asyncio/unawaited_coroutines.hpp"
#include "native/dwfl_session.hpp"
#include "python/code_cache.hpp"
#include "python/frame_decoder.hpp"
#include "python/gc_functions.hpp"
#include "python/heap_object_scan.hpp"
#include "python/interpreter_threads.hpp"
#include "python/pthread_tids.hpp"
#include "python/python_locator.hpp"
#include "target/captured_memory.hpp"

namespace corostack {
namespace {

Frame python_frame(const python::PyFrame& pf) {
  Frame f;
  f.kind = FrameKind::kPython;
  f.pc = pf.frame.value();
  f.function = pf.function;
  f.file = pf.filename;
  f.line = pf.line;
  f.end_line = pf.end_line;
  f.column = pf.column;
  f.end_column = pf.end_column;
  f.interpreter = pf.interpreter;
  for (const python::PyLocal& l : pf.locals)
    f.locals.push_back({l.name, l.repr, l.argument, std::nullopt});
  return f;
}

// Which captured thread a Python thread state belongs to: the kernel TID
// where the interpreter records it (3.11+), else its pthread_t, which on
// x86-64 glibc is the thread pointer: the thread's fs_base register. A thread
// read without stopping it (regs_partial) has no fs_base: glibc allocates a
// thread's stack and its struct pthread in one mapping, so the pthread_t
// lies in the mapping holding its stack pointer; the main thread's does not
// (it sits in the static TLS block), so it is the main thread's when it is
// in no thread stack's mapping.
std::optional<size_t> thread_index(const python::PyThread& pt, const Capture& cap,
                                   const Target& target) {
  for (size_t i = 0; i < cap.threads.size(); ++i) {
    const ThreadState& ts = cap.threads[i];
    if (pt.native_tid > 0 && ts.tid == pt.native_tid) return i;
  }
  if (pt.native_tid > 0 || pt.thread_id == 0) return std::nullopt;
  for (size_t i = 0; i < cap.threads.size(); ++i) {
    const ThreadState& ts = cap.threads[i];
    if (ts.regs_valid && !ts.regs_partial && ts.regs.fs_base == pt.thread_id) return i;
  }
  std::optional<size_t> main;
  bool in_a_stack = false;
  bool all_have_stacks = true;  // else the ident may be in an unread thread's stack
  for (size_t i = 0; i < cap.threads.size(); ++i) {
    const ThreadState& ts = cap.threads[i];
    all_have_stacks = all_have_stacks && ts.regs_valid;
    if (!ts.regs_valid) continue;
    const MemoryMap* m = find_map(target.maps(), RemoteAddr(ts.regs.rsp));
    bool here = m && m->contains(RemoteAddr(pt.thread_id));
    in_a_stack = in_a_stack || here;
    if (!ts.regs_partial) continue;
    if (here && ts.tid != target.pid()) return i;
    if (ts.tid == target.pid()) main = i;
  }
  return in_a_stack || !all_have_stacks ? std::nullopt : main;
}

// Threads with a garbage-collector function of the interpreter's own ELF on
// their native stacks (inlined ones count).
std::vector<bool> collecting_threads(const std::vector<ThreadSnapshot>& threads,
                                     const std::vector<const python::PyThread*>& by_thread,
                                     const std::string& module) {
  std::string want = std::filesystem::path(module).filename();
  std::vector<bool> out(threads.size(), false);
  for (size_t i = 0; i < threads.size() && i < by_thread.size(); ++i) {
    if (!by_thread[i]) continue;
    for (const Frame& f : threads[i].frames) {
      if (f.kind != FrameKind::kNative || !f.function || !python::is_gc_function(*f.function))
        continue;
      if (std::filesystem::path(f.module).filename() == want) {
        out[i] = true;
        break;
      }
    }
  }
  return out;
}

// Free-threaded builds keep no GC object lists: never-awaited coroutines are
// looked for by scanning the heap for PyCoro_Type (heap_object_scan), after
// the pause (the objects looked for are garbage nobody touches, and each
// candidate is checked whole), bounded in bytes read.
void find_unawaited_on_heap(const Target& target, const python::PythonRuntime& runtime,
                            const asyncio::AsyncWalkOptions& options,
                            asyncio::AsyncioState& tasks) {
  constexpr uint64_t kMaxHeapScanBytes = uint64_t{1} << 30;
  if (runtime.coroutine_type.is_null()) {
    tasks.unawaited_not_checked =
        "a free-threaded build keeps no GC object lists, and this libpython does not export "
        "PyCoro_Type to scan its heap for";
    return;
  }
  python::DataRuns data_runs = [&](uint64_t start, uint64_t pages, const auto& on_run) {
    return target.data_runs(start, pages, on_run);
  };
  python::RemoteObjects ro(target, *runtime.layout);
  python::CodeCache codes(ro);
  python::FrameDecoder frames(runtime, ro, codes, {});
  std::unordered_set<RemoteAddr> owned;
  for (const asyncio::AsyncTask& t : tasks.tasks) owned.insert(t.coroutine);
  auto scan = asyncio::find_unawaited_coroutines_from(
      ro, runtime, frames, owned,
      [&](size_t, const std::function<bool(RemoteAddr)>& visit) {
        return python::for_each_heap_object_of_type(ro, target.maps(), runtime.coroutine_type,
                                                    kMaxHeapScanBytes, data_runs, visit);
      },
      options.max_gc_objects, options.max_unawaited);
  tasks.unawaited = std::move(scan.coroutines);
  tasks.gc_objects_scanned = scan.objects_scanned;
  tasks.unawaited_not_checked.clear();
  for (std::string& e : scan.errors) tasks.errors.push_back("unawaited coroutines: " + e);
}

}  // namespace

python::StackOwner stack_owner(const std::vector<ThreadState>& threads,
                               const std::vector<MemoryMap>& maps) {
  std::vector<std::pair<const MemoryMap*, pid_t>> stacks;
  for (const ThreadState& ts : threads) {
    if (!ts.regs_valid) continue;
    if (const MemoryMap* m = find_map(maps, RemoteAddr(ts.regs.rsp)))
      stacks.emplace_back(m, ts.tid);
  }
  return [stacks = std::move(stacks)](RemoteAddr addr) -> std::optional<int64_t> {
    for (const auto& [m, tid] : stacks)
      if (m->contains(addr)) return tid;
    return std::nullopt;
  };
}

bool is_eval_frame(const Frame& f) {
  return f.kind == FrameKind::kNative && !f.inlined && f.function &&
         (*f.function == "_PyEval_EvalFrameDefault" || *f.function == "PyEval_EvalFrameEx");
}

bool merge_python_frames(const std::vector<Frame>& native, const std::vector<Frame>& python,
                         const std::vector<bool>& entries, std::vector<Frame>& out) {
  size_t eval_frames = 0, groups = 0;
  for (const Frame& f : native) eval_frames += is_eval_frame(f);
  for (bool e : entries) groups += e;
  out.clear();
  if (eval_frames != groups) {
    out = python;
    out.insert(out.end(), native.begin(), native.end());
    return false;
  }
  size_t next = 0;
  for (const Frame& f : native) {
    if (!is_eval_frame(f)) {
      out.push_back(f);
      continue;
    }
    // Functions inlined into the eval loop at this pc are part of that call too.
    while (!out.empty() && out.back().kind == FrameKind::kNative && out.back().inlined &&
           out.back().pc == f.pc)
      out.pop_back();
    // This eval-loop call runs the Python frames up to and including the next entry.
    while (next < python.size()) {
      out.push_back(python[next]);
      if (entries[next++]) break;
    }
  }
  return true;
}

Result<ProcessSnapshot> take_snapshot(Target& target, const SnapshotOptions& options) {
  if (!options.python) return take_native_snapshot(target, options.native);
  python::LocateOptions locate;
  locate.asyncio_offsets = options.asyncio;
  auto runtime = python::locate_python(target, locate);
  if (!runtime) {
    if (runtime.error().kind == ErrorKind::kNotFound &&
        runtime.error().message.find("not a Python process") != std::string::npos)
      return take_native_snapshot(target, options.native);
    auto snap = take_native_snapshot(target, options.native);
    if (snap) snap->warnings.push_back("Python frames unavailable: " + runtime.error().message);
    return snap;
  }

  // --native needs the unwinder anyway: set it up while the target runs.
  std::unique_ptr<DwflSession> session;
  std::vector<std::string> session_warnings;
  if (options.merge_native) {
    auto s = DwflSession::create(target);
    if (!s) return s.error();
    session = std::move(*s);
    session_warnings = session->warnings();
  }

  python::PyProcess py;
  std::optional<asyncio::AsyncioState> tasks;
  CaptureOptions co = options.native.capture;
  // The task graph reads thousands of scattered pages: learn them first.
  co.warm_up = options.asyncio;
  co.while_paused = [&](const MemoryReader& mem) {
    py = python::walk_python(mem, *runtime, options.walk);
    // The task graph changes whenever the loop runs: read it in the same pause.
    if (options.asyncio) tasks = asyncio::walk_asyncio(mem, *runtime, py, options.async_walk);
  };
  auto capture = target.capture(co);
  if (!capture) return capture.error();

  ProcessSnapshot snap = snapshot_from_capture(target, *capture);
  snap.warnings.insert(snap.warnings.begin(), session_warnings.begin(), session_warnings.end());
  if (options.runtime_out) *options.runtime_out = *runtime;
  PythonProcessInfo info;
  info.version = std::to_string(runtime->major) + "." + std::to_string(runtime->minor) + "." +
                 std::to_string(runtime->micro);
  info.module = runtime->module;
  if (runtime->debug_offsets_layout) info.layout_source = "_Py_DebugOffsets";
  for (const std::string& d : runtime->layout_differences)
    snap.warnings.push_back("the target's _Py_DebugOffsets differ from the " + info.version +
                            " table (used the target's): " + d);
  info.gc_collecting = py.gc_collecting;
  info.gil_known = py.gil_known;
  info.free_threaded = runtime->free_threaded;
  info.gil_enabled = py.gil_enabled;
  info.finalizing = py.finalizing;
  info.untested_version = runtime->untested_version;
  if (runtime->untested_version)
    snap.warnings.push_back("untested Python " + std::to_string(runtime->major) + "." +
                            std::to_string(runtime->minor) +
                            ": read with the target's own _Py_DebugOffsets and the newest table; "
                            "what they do not describe may be missing");
  for (const python::PyInterpreter& i : py.interpreters) info.interpreters.push_back(i.id);
  info.errors = py.errors;
  snap.python = info;
  python::join_interpreter_threads(py.threads, stack_owner(capture->threads, target.maps()));
  if (tasks && runtime->free_threaded && options.async_walk.find_unawaited)
    find_unawaited_on_heap(target, *runtime, options.async_walk, *tasks);
  snap.asyncio = std::move(tasks);

  // Python threads onto captured threads.
  std::vector<const python::PyThread*> by_thread(capture->threads.size(), nullptr);
  // ≤ 3.10 threads with no registers (--nonblocking) are matched through the
  // TID glibc keeps in their struct pthread, computed only when needed.
  std::optional<std::vector<std::optional<pid_t>>> glibc_tids;
  auto tid_from_pthread = [&](size_t k) -> std::optional<size_t> {
    if (!glibc_tids) {
      std::vector<uint64_t> idents;
      for (const python::PyThread& pt : py.threads) idents.push_back(pt.thread_id);
      std::unordered_set<pid_t> tids;
      for (const ThreadState& ts : capture->threads) tids.insert(ts.tid);
      glibc_tids = python::pthread_tids(target, idents, tids);
    }
    if (!(*glibc_tids)[k]) return std::nullopt;
    for (size_t i = 0; i < capture->threads.size(); ++i)
      if (capture->threads[i].tid == *(*glibc_tids)[k]) return i;
    return std::nullopt;
  };
  for (size_t k = 0; k < py.threads.size(); ++k) {
    const python::PyThread& pt = py.threads[k];
    auto i = thread_index(pt, *capture, target);
    if (!i && pt.native_tid <= 0 && pt.thread_id != 0) i = tid_from_pthread(k);
    if (!i) {
      if (!pt.frames.empty())
        snap.warnings.push_back("a Python thread (ident " + std::to_string(pt.thread_id) +
                                ") matches no OS thread");
      continue;
    }
    by_thread[*i] = &pt;
  }

  std::vector<bool> wants_native(capture->threads.size(), options.merge_native);
  for (size_t i = 0; i < by_thread.size(); ++i)
    if (options.native_fallback && (!by_thread[i] || by_thread[i]->frames.empty()))
      wants_native[i] = true;  // no Python frames: show what it does natively
  // A collection is running: which thread runs it shows on native stacks
  // only (the GIL's holder need not be it; free-threaded builds have none),
  // so unwind the Python threads to look, and show those frames only if asked.
  bool find_collector = py.gc_collecting.value_or(false);
  std::vector<bool> only_for_gc(capture->threads.size(), false);
  for (size_t i = 0; i < by_thread.size(); ++i) {
    if (find_collector && by_thread[i] && !wants_native[i]) {
      only_for_gc[i] = true;
      wants_native[i] = true;
    }
  }
  bool any_native = false;
  for (bool w : wants_native) any_native |= w;
  if (any_native && !session) {
    auto s = DwflSession::create(target);
    if (s) {
      session = std::move(*s);
      auto w = session->warnings();
      snap.warnings.insert(snap.warnings.end(), w.begin(), w.end());
    } else {
      snap.warnings.push_back("native frames unavailable: " + s.error().message);
    }
  }
  CapturedMemory memory(target, std::move(capture->regions));
  std::vector<std::vector<std::string>> errors_before(snap.threads.size());
  for (size_t i = 0; i < snap.threads.size(); ++i)
    if (only_for_gc[i]) errors_before[i] = snap.threads[i].errors;
  if (session)
    add_native_frames(*session, target.pid(), *capture, memory, options.native, wants_native,
                      snap.threads);
  std::vector<bool> collecting = collecting_threads(snap.threads, by_thread, runtime->module);
  bool collector_seen = false;
  for (size_t i = 0; i < collecting.size(); ++i) {
    collector_seen = collector_seen || collecting[i];
    if (!only_for_gc[i]) continue;
    snap.threads[i].frames.clear();
    snap.threads[i].errors = std::move(errors_before[i]);
  }

  for (size_t i = 0; i < by_thread.size(); ++i) {
    const python::PyThread* pt = by_thread[i];
    if (!pt) continue;
    ThreadSnapshot& t = snap.threads[i];
    if (!pt->name.empty()) t.name = pt->name;
    // No native sign of the collector (a stripped interpreter): it holds
    // the GIL, on builds that have one.
    bool gc = collector_seen ? collecting[i] : pt->holds_gil && find_collector;
    if (pt->frames.empty() && !options.merge_native) {
      t.python = PythonThreadInfo{pt->thread_id, pt->holds_gil, gc};
      continue;  // keeps the native frames added above
    }
    PythonThreadInfo pti;
    pti.thread_id = pt->thread_id;
    pti.holds_gil = pt->holds_gil;
    pti.gc_collecting = gc;
    t.python = pti;
    std::vector<Frame> pyframes;
    std::vector<bool> entries;
    for (const python::PyFrame& pf : pt->frames) {
      pyframes.push_back(python_frame(pf));
      entries.push_back(pf.entry);
    }
    if (options.merge_native && session && t.may_be_torn && t.frames.empty()) {
      t.frames = std::move(pyframes);
      t.errors.push_back("running while read (--nonblocking): no native frames to merge");
    } else if (options.merge_native && session) {
      std::vector<Frame> merged;
      if (!merge_python_frames(t.frames, pyframes, entries, merged))
        t.errors.push_back(
            "could not merge native and Python frames: the numbers of eval-loop "
            "frames and Python entry frames differ; Python frames shown first");
      t.frames = std::move(merged);
    } else {
      t.frames = std::move(pyframes);
    }
    for (const std::string& e : pt->errors) t.errors.push_back("Python: " + e);
  }
  mark_unread_running_threads(snap);
  return snap;
}

}  // namespace corostack
