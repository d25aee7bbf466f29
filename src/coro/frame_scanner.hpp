#pragma once
// Finds candidate coroutine frames by scanning every writable mapping (heap,
// anonymous memory, thread stacks, data segments, and so other frames) for
// words equal to a known destroy/cleanup address: the frame starts one word
// before (frame[1] is the destroy slot in both compilers' ABI). Candidates
// are validated separately (frame_reader), since stale copies of such
// pointers exist, e.g. in dead stack slots.
#include <cstdint>
#include <vector>

#include "base/progress.hpp"
#include "base/remote_addr.hpp"
#include "coro/coro_catalog.hpp"
#include "target/memory_map.hpp"
#include "target/memory_reader.hpp"

namespace corostack::coro {

struct FrameCandidate {
  RemoteAddr frame;
  const CoroutineInfo* info = nullptr;
};

struct ScanStats {
  uint64_t bytes = 0;    // bytes scanned
  uint64_t regions = 0;  // mappings scanned
  uint64_t ns = 0;       // time spent scanning
  uint64_t candidates = 0;
  uint64_t rejected = 0;    // candidates the validation refused
  uint64_t unreadable = 0;  // bytes of writable mappings that could not be read
};

struct ScanOptions {
  uint64_t max_bytes = uint64_t{64} << 30;  // stop after this much (a bound, not a goal)
  size_t max_candidates = 10'000'000;
  ProgressFn progress;  // bytes scanned of the writable total, per chunk
};

std::vector<FrameCandidate> scan_for_frames(const MemoryReader& mem,
                                            const std::vector<MemoryMap>& maps,
                                            const CoroCatalog& catalog, const ScanOptions& options,
                                            ScanStats& stats);

}  // namespace corostack::coro
