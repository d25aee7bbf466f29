#pragma once
// One live C++ coroutine frame as `corostack coro` reports it, and the set of
// them with their continuation chains.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/remote_addr.hpp"
#include "coro/coro_table.hpp"
#include "coro/frame_scanner.hpp"

namespace corostack::coro {

enum class FrameState { kSuspended, kNotStarted, kRunning, kDone };
const char* frame_state_name(FrameState s);  // "suspended", "not_started", "running", "done"

// Where a frame's line comes from, most exact first.
enum class LineSource { kNone, kLabel, kHeuristic, kPc, kDecl };
const char* line_source_name(LineSource s);  // "label", "heuristic", "pc", "decl", "" for none

// What the promise's continuation member holds.
enum class ContinuationKind { kNone, kNull, kNoop, kFrame, kUnknown };
const char* continuation_kind_name(ContinuationKind k);  // "none", "null", "noop", ...

struct PromiseValue {
  std::string name;
  std::string value;  // rendered: number, 0x… pointer, or a quoted, escaped string
};

struct CoroFrame {
  RemoteAddr address;
  const CoroutineInfo* info = nullptr;  // owned by the CoroCatalog
  FrameState state = FrameState::kSuspended;
  std::optional<uint32_t> index;  // suspend index from the frame (stale while running)
  std::string file;
  int line = 0;
  LineSource line_source = LineSource::kNone;
  pid_t thread = 0;  // running on this thread
  RemoteAddr promise;
  std::optional<uint64_t> continuation;  // nullopt: the promise has no continuation member
  ContinuationKind continuation_kind = ContinuationKind::kNone;
  std::optional<size_t> parent;              // index of the frame the continuation resumes
  std::vector<PromiseValue> promise_values;  // with --promise
  // With --locals: the variables the frame keeps across suspension points.
  std::vector<PromiseValue> locals;
  bool compiler_named = false;  // the names are the compiler's (optimized clang frames)
};

struct CoroState {
  std::vector<CoroFrame> frames;            // sorted by address
  std::vector<std::vector<size_t>> chains;  // one per leaf, leaf first, outermost last
  ScanStats scan;
  size_t coroutines_known = 0;        // coroutine functions in the catalog
  std::vector<std::string> errors;    // non-empty: incomplete
  std::vector<std::string> warnings;  // e.g. cycles, ambiguous running frames
};

}  // namespace corostack::coro
