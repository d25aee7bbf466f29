#pragma once
// Validates a candidate frame and reads what `coro` reports about it. Runs
// inside the pause: a frame is only believed if its header still makes
// sense at that moment. The checks (cpp-coro-anchors.md §c.2): frame[0] is
// the coroutine's own resume clone, or null once at its final suspend; GCC
// frames hold their own address in _Coro_self_handle; the suspend index is
// one the coroutine has (when known) and even for GCC.
#include <optional>

#include "coro/coro_catalog.hpp"
#include "coro/coro_frame.hpp"
#include "target/memory_reader.hpp"

namespace corostack::coro {

struct FrameReadOptions {
  bool promise_values = false;
  size_t max_string_bytes = 256;
};

// nullopt: not a frame (a stale or unrelated copy of a destroy address).
std::optional<CoroFrame> read_frame(const MemoryReader& mem, const FrameCandidate& candidate,
                                    const CoroCatalog& catalog, const FrameReadOptions& options);

}  // namespace corostack::coro
