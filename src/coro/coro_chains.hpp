#pragma once
// Turns validated frames into async stacks: each frame's continuation
// (child -> parent: the frame resumed when it finishes) links it to another
// frame, the noop coroutine, null, or something unknown. Chains start at the
// leaves (frames no other frame continues to) and end at the outermost frame
// or on a cycle, which is reported and cut.
#include "coro/coro_frame.hpp"

namespace corostack::coro {

// Sorts and dedupes state.frames, sets parent/continuation_kind, and builds
// state.chains.
void link_frames(CoroState& state);

// File and line of each frame that is not running: the suspend point its
// index maps to (labels or heuristic), else the function's declaration.
void assign_lines(CoroState& state);

}  // namespace corostack::coro
