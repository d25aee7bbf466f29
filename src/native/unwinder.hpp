#pragma once
// Native unwinding of captured threads with libdwfl (CFI from .eh_frame and
// .debug_frame, frame-pointer fallback from the x86-64 backend). It reads the
// registers and stack bytes taken during the capture, so the target need not
// be stopped while we unwind.
#include <cstdint>
#include <string>
#include <vector>

#include "native/dwfl_session.hpp"
#include "native/frame_registers.hpp"
#include "target/memory_reader.hpp"
#include "target/target.hpp"

namespace corostack {

struct RawFrame {
  uint64_t pc = 0;
  bool is_activation = false;  // pc is exact (signal frame / innermost), not a return address
};

struct UnwoundThread {
  pid_t tid = 0;
  std::vector<RawFrame> frames;  // innermost first
  std::string error;             // why the walk ended early, if it did
  bool truncated = false;        // hit max_frames
  // With UnwindOptions::registers: one per frame, what CFI recovered there.
  std::vector<FrameRegisters> registers;
};

struct UnwindOptions {
  size_t max_frames = 256;
  bool registers = false;  // keep each frame's registers (for variables)
};

// Unwinds every thread of `capture` that has registers. `memory` should serve
// captured stack bytes first (see CapturedMemory). Returns one entry per such
// thread, in capture order.
std::vector<UnwoundThread> unwind_threads(DwflSession& session, pid_t pid, const Capture& capture,
                                          const MemoryReader& memory, const UnwindOptions& options);

}  // namespace corostack
