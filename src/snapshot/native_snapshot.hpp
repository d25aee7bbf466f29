#pragma once
// Capture → resume → unwind → symbolize: the native half of `dump`.
#include "base/result.hpp"
#include "snapshot/snapshot.hpp"
#include "target/target.hpp"

namespace corostack {

struct NativeSnapshotOptions {
  size_t max_frames = 256;
  bool source_lines = true;  // DWARF file:line and inlined frames
  CaptureOptions capture;
};

Result<ProcessSnapshot> take_native_snapshot(Target& target, const NativeSnapshotOptions& options);

}  // namespace corostack
