#include "snapshot/native_snapshot.hpp"

#include "snapshot/coro_snapshot.hpp"

#include "native/dwfl_session.hpp"
#include "native/symbolizer.hpp"
#include "native/unwinder.hpp"
#include "target/captured_memory.hpp"
#include "variables/frame_variables.hpp"
#include "variables/tail_calls.hpp"

namespace corostack {

const char* state_name(char state) {
  switch (state) {
    case 'R':
      return "running";
    case 'S':
      return "sleeping";
    case 'D':
      return "disk sleep";
    case 'T':
      return "stopped";
    case 't':
      return "tracing stop";
    case 'Z':
      return "zombie";
    case 'X':
      return "dead";
    case 'I':
      return "idle";
    default:
      return "unknown";
  }
}

ProcessSnapshot snapshot_from_capture(const Target& target, const Capture& capture) {
  ProcessSnapshot snap;
  snap.source = target.kind();
  snap.pid = target.pid();
  snap.command = target.command_name();
  snap.command_line = target.command_line();
  snap.exe = target.exe_path();
  snap.pause_ns = capture.pause_ns;
  snap.warnings = capture.warnings;
  for (const ThreadState& ts : capture.threads) {
    ThreadSnapshot t;
    t.tid = ts.tid;
    t.name = ts.name;
    t.comm = ts.name;
    t.state = ts.state;
    t.is_main = ts.tid == target.pid();
    t.may_be_torn = ts.may_be_torn;
    if (!ts.regs_valid) {
      // A thread left running (--nonblocking) may still get Python frames:
      // it is an error only if it ends up with no frames at all.
      if (!ts.may_be_torn)
        t.errors.push_back(ts.error.empty() ? "registers unavailable" : ts.error);
    } else {
      t.syscall = blocked_syscall(ts.regs, ts.state);
    }
    snap.threads.push_back(std::move(t));
  }
  return snap;
}

namespace {

Frame frame_at(const RawFrame& rf, const SymbolFrame& sf) {
  Frame f;
  f.pc = rf.pc;
  f.function = sf.function;
  f.offset = sf.offset;
  f.module = sf.module;
  f.file = sf.file;
  f.line = sf.line;
  f.inlined = sf.inlined;
  return f;
}

}  // namespace

std::vector<Frame> symbolized_frames(Symbolizer& symbolizer, const UnwoundThread& thread) {
  std::vector<Frame> out;
  for (const RawFrame& rf : thread.frames)
    for (const SymbolFrame& sf : symbolizer.symbolize(rf.pc, rf.is_activation))
      out.push_back(frame_at(rf, sf));
  return out;
}

namespace {

// symbolized_frames, plus each frame's arguments and locals (with
// `variables`) and the frames tail calls left off the stack (with `tail_calls`).
std::vector<Frame> dump_frames(Symbolizer& symbolizer, variables::FrameVariables* variables,
                               variables::TailCalls* tail_calls, const UnwoundThread& thread) {
  std::vector<Frame> out;
  for (size_t i = 0; i < thread.frames.size(); ++i) {
    const RawFrame& rf = thread.frames[i];
    const auto& symbols = symbolizer.symbolize(rf.pc, rf.is_activation);
    std::vector<variables::ScopeVariables> scopes;
    if (variables && thread.registers.size() == thread.frames.size())
      scopes = variables->variables(thread.registers, i);
    for (size_t s = 0; s < symbols.size(); ++s) {
      Frame f = frame_at(rf, symbols[s]);
      // Both list the inlined calls first and the function last.
      if (scopes.size() == symbols.size()) {
        for (variables::Variable& v : scopes[s])
          f.locals.push_back(
              Local{std::move(v.name), std::move(v.value), v.argument, std::move(v.entry_value)});
      }
      out.push_back(std::move(f));
    }
    if (tail_calls && i + 1 < thread.frames.size()) {
      for (variables::TailCallFrame& t : tail_calls->between(rf, thread.frames[i + 1])) {
        Frame f;
        f.pc = t.pc;
        f.function = std::move(t.function);
        f.module = std::move(t.module);
        f.file = std::move(t.file);
        f.line = t.line;
        f.tail_call = true;
        out.push_back(std::move(f));
      }
    }
  }
  return out;
}

}  // namespace

void add_native_frames(DwflSession& session, pid_t pid, const Capture& capture,
                       const MemoryReader& memory, const NativeSnapshotOptions& options,
                       const std::vector<bool>& wanted, std::vector<ThreadSnapshot>& threads) {
  // unwind_threads walks every thread with registers: give it only the wanted ones.
  Capture subset;
  std::vector<size_t> index;
  for (size_t i = 0; i < capture.threads.size(); ++i) {
    if (i < wanted.size() && wanted[i] && capture.threads[i].regs_valid) {
      subset.threads.push_back(capture.threads[i]);
      index.push_back(i);
    }
  }
  if (subset.threads.empty()) return;
  UnwindOptions uo;
  uo.max_frames = options.max_frames;
  uo.registers = options.locals;
  auto unwound = unwind_threads(session, pid, subset, memory, uo);
  Symbolizer symbolizer(session, options.source_lines);
  std::optional<variables::FrameVariables> variables;
  if (options.locals) variables.emplace(session, memory, symbolizer.units(), symbolizer.scopes());
  std::optional<variables::TailCalls> tail_calls;
  if (options.source_lines) tail_calls.emplace(session, symbolizer.units(), symbolizer.scopes());
  for (size_t k = 0; k < unwound.size() && k < index.size(); ++k) {
    ThreadSnapshot& t = threads[index[k]];
    const UnwoundThread& u = unwound[k];
    std::vector<Frame> frames = dump_frames(symbolizer, variables ? &*variables : nullptr,
                                            tail_calls ? &*tail_calls : nullptr, u);
    t.frames.insert(t.frames.end(), std::make_move_iterator(frames.begin()),
                    std::make_move_iterator(frames.end()));
    if (!u.error.empty()) t.errors.push_back(u.error);
    if (u.truncated)
      t.errors.push_back("stack truncated at " + std::to_string(options.max_frames) + " frames");
  }
}

Result<ProcessSnapshot> take_native_snapshot(Target& target, const NativeSnapshotOptions& options) {
  // Everything before capture() runs with the target running: module
  // reporting opens ELF files, which is slow next to a pause budget of 2 ms.
  auto session = DwflSession::create(target);
  if (!session) return session.error();

  auto capture = target.capture(options.capture);
  if (!capture) return capture.error();

  ProcessSnapshot snap = snapshot_from_capture(target, *capture);
  auto session_warnings = (*session)->warnings();
  snap.warnings.insert(snap.warnings.begin(), session_warnings.begin(), session_warnings.end());
  CapturedMemory memory(target, std::move(capture->regions));
  add_native_frames(**session, target.pid(), *capture, memory, options,
                    std::vector<bool>(capture->threads.size(), true), snap.threads);
  if (options.coroutine_chains)
    splice_coroutine_chains(target, **session, *capture, memory, snap, options.locals);
  mark_unread_running_threads(snap);
  return snap;
}

void mark_unread_running_threads(ProcessSnapshot& snap) {
  for (ThreadSnapshot& t : snap.threads)
    if (t.may_be_torn && t.frames.empty() && t.errors.empty())
      t.errors.push_back("running while read (--nonblocking): not stopped, no stack read");
}

}  // namespace corostack
