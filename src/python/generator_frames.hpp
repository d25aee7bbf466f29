#pragma once
// What a suspended generator or coroutine is awaiting: the object its
// `yield from` / `await` delegates to (what `cr_await` / `gi_yieldfrom`
// would return), read from outside as CPython's _PyGen_yf does per version:
//
// - <=3.9 (Objects/genobject.c): the frame is suspended (f_stacktop set) and
//   the next opcode, co_code[f_lasti + 2], is YIELD_FROM: f_stacktop[-1].
// - 3.10: co_code[(f_lasti + 1) * 2] is YIELD_FROM: f_valuestack[f_stackdepth - 1].
// - 3.11-3.12: gi_frame_state is FRAME_SUSPENDED and the next code unit,
//   prev_instr[1], is RESUME (or a specialised/instrumented RESUME) with
//   oparg >= 2 (after yield from / await): localsplus[stacktop - 1].
// - 3.13: gi_frame_state is FRAME_SUSPENDED_YIELD_FROM: localsplus[stacktop - 1].
//
// The enum values and opcode numbers are #defines and enums the layout
// generator cannot read from DWARF; they are listed per version in
// generator_frames.cpp (from Include/internal/pycore_frame.h and each
// version's opcode module: opcode.opmap, dis._all_opmap,
// _opcode_metadata._specialized_opmap), and checked against the real
// interpreters by tests/e2e/asyncio_tasks_test.cpp.
#include <optional>

#include "base/remote_addr.hpp"
#include "python/remote_object.hpp"

namespace corostack::python {

enum class GeneratorStatus {
  kNotStarted,
  kSuspended,  // parked at a yield or await
  kRunning,    // its frame is executing on some thread
  kFinished,   // returned or raised: no frame any more
  kUnknown,
};

struct GeneratorFrame {
  GeneratorStatus status = GeneratorStatus::kUnknown;
  // The frame to decode: PyFrameObject* (<=3.10) or the embedded
  // _PyInterpreterFrame (3.11+); null when finished.
  RemoteAddr frame;
  // When suspended in `yield from` / `await`: the object delegated to.
  std::optional<RemoteAddr> awaiting;
};

// nullopt when the generator cannot be read or the version is not described.
std::optional<GeneratorFrame> read_generator_frame(const RemoteObjects& ro, RemoteAddr gen,
                                                   int minor);

}  // namespace corostack::python
