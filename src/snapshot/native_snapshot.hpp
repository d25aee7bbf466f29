#pragma once
// Capture → resume → unwind → symbolize: the native half of `dump`, in
// pieces the Python snapshot reuses.
#include <memory>
#include <vector>

#include "base/result.hpp"
#include "native/dwfl_session.hpp"
#include "native/symbolizer.hpp"
#include "native/unwinder.hpp"
#include "snapshot/snapshot.hpp"
#include "target/target.hpp"

namespace corostack {

struct NativeSnapshotOptions {
  size_t max_frames = 256;
  bool source_lines = true;  // DWARF file:line and inlined frames
  // Splice the suspended C++ coroutines awaiting a running one as [async]
  // frames (only costs anything when a thread runs a coroutine).
  bool coroutine_chains = true;
  // Arguments and locals of native frames from DWARF (dump --native --locals).
  bool locals = false;
  CaptureOptions capture;
};

// The process header and one ThreadSnapshot per captured thread, in capture
// order, with identity, state and blocking syscall but no frames yet.
ProcessSnapshot snapshot_from_capture(const Target& target, const Capture& capture);

// --nonblocking: a thread that ran while read and got no frames at all is an
// error (the dump is partial); one with Python frames is only marked torn.
void mark_unread_running_threads(ProcessSnapshot& snap);

// Unwinds and symbolizes the threads with wanted[i] set (i indexes
// capture.threads, which threads mirrors) and appends their native frames.
// Each unwound pc as the frames it stands for (inlined calls first),
// innermost first: what dump prints and the sampler merges.
std::vector<Frame> symbolized_frames(Symbolizer& symbolizer, const UnwoundThread& thread);

void add_native_frames(DwflSession& session, pid_t pid, const Capture& capture,
                       const MemoryReader& memory, const NativeSnapshotOptions& options,
                       const std::vector<bool>& wanted, std::vector<ThreadSnapshot>& threads);

Result<ProcessSnapshot> take_native_snapshot(Target& target, const NativeSnapshotOptions& options);

}  // namespace corostack
