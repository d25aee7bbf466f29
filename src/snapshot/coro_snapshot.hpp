#pragma once
// `corostack coro`: every live C++20 coroutine frame of a process or core,
// with the threads' native stacks to tell which frames are running.
//
// Order of work: the coroutine catalog (symbol tables, DWARF) and the memory
// scan run while a live target runs; the pause validates each candidate and
// reads its header, index and promise, with the threads' registers and stack
// tops; unwinding, running-frame attribution and chains come after resuming.
// A frame created between the scan and the pause is missed; one destroyed in
// between fails validation.
#include <memory>

#include "base/result.hpp"
#include "coro/coro_catalog.hpp"
#include "coro/coro_frame.hpp"
#include "snapshot/native_snapshot.hpp"
#include "snapshot/snapshot.hpp"
#include "target/target.hpp"

namespace corostack {

struct CoroSnapshotOptions {
  coro::CoroTableOptions table;
  coro::ScanOptions scan;
  bool promise_values = false;
  bool locals = false;  // the variables each suspended frame keeps (coro --locals)
  NativeSnapshotOptions native;
};

struct CoroSnapshot {
  ProcessSnapshot process;                           // threads with native frames
  std::shared_ptr<const coro::CoroCatalog> catalog;  // owns what frames[].info points to
  coro::CoroState coro;
};

Result<CoroSnapshot> take_coro_snapshot(Target& target, const CoroSnapshotOptions& options);

// Marks the frames whose resume (GCC: actor) clone is on a thread's stack as
// running on it, with the line from the unwound pc. Shared with `dump`.
void mark_running_frames(const ProcessSnapshot& process, const MemoryReader& stacks,
                         const Capture& capture, const coro::CoroCatalog& catalog,
                         coro::CoroState& state);

// `dump`: when a thread runs a coroutine (a `[clone .resume]`/`.actor` frame
// on its stack), finds the frames and splices the chain that awaits it as
// kAsync frames after that physical frame. Runs after the pause: the awaiting
// frames are suspended and stay put while their child runs. With `locals`,
// each async frame carries the variables it keeps (dump --native --locals).
void splice_coroutine_chains(const Target& target, DwflSession& session, const Capture& capture,
                             const MemoryReader& stacks, ProcessSnapshot& snap,
                             bool locals = false);

}  // namespace corostack
