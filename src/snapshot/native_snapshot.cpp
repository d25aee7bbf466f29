#include "snapshot/native_snapshot.hpp"

#include "native/dwfl_session.hpp"
#include "native/symbolizer.hpp"
#include "native/unwinder.hpp"
#include "target/captured_memory.hpp"

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

Result<ProcessSnapshot> take_native_snapshot(Target& target, const NativeSnapshotOptions& options) {
  // Everything before capture() runs with the target running: module
  // reporting opens ELF files, which is slow next to a pause budget of 2 ms.
  auto session = DwflSession::create(target);
  if (!session) return session.error();

  auto capture = target.capture(options.capture);
  if (!capture) return capture.error();

  ProcessSnapshot snap;
  snap.source = target.kind();
  snap.pid = target.pid();
  snap.command = target.command_name();
  snap.command_line = target.command_line();
  snap.exe = target.exe_path();
  snap.pause_ns = capture->pause_ns;
  snap.warnings = (*session)->warnings();
  snap.warnings.insert(snap.warnings.end(), capture->warnings.begin(), capture->warnings.end());

  CapturedMemory memory(target, std::move(capture->regions));
  UnwindOptions uo;
  uo.max_frames = options.max_frames;
  auto unwound = unwind_threads(**session, target.pid(), *capture, memory, uo);
  Symbolizer symbolizer(**session, options.source_lines);

  size_t next_unwound = 0;
  for (const ThreadState& ts : capture->threads) {
    ThreadSnapshot t;
    t.tid = ts.tid;
    t.name = ts.name;
    t.state = ts.state;
    t.is_main = ts.tid == target.pid();
    if (!ts.regs_valid) {
      t.errors.push_back(ts.error.empty() ? "registers unavailable" : ts.error);
      snap.threads.push_back(std::move(t));
      continue;
    }
    t.syscall = blocked_syscall(ts.regs, ts.state);
    // unwind_threads returns threads with registers, in capture order.
    const UnwoundThread& u = unwound[next_unwound++];
    for (const RawFrame& rf : u.frames) {
      for (const SymbolFrame& sf : symbolizer.symbolize(rf.pc, rf.is_activation)) {
        Frame f;
        f.pc = rf.pc;
        f.function = sf.function;
        f.offset = sf.offset;
        f.module = sf.module;
        f.file = sf.file;
        f.line = sf.line;
        f.inlined = sf.inlined;
        t.frames.push_back(std::move(f));
      }
    }
    if (!u.error.empty()) t.errors.push_back(u.error);
    if (u.truncated)
      t.errors.push_back("stack truncated at " + std::to_string(options.max_frames) + " frames");
    snap.threads.push_back(std::move(t));
  }
  return snap;
}

}  // namespace corostack
