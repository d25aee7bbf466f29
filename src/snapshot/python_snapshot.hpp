#pragma once
// `dump` for a process that may run CPython: Python frames per thread (or,
// with merge_native, native stacks with each eval-loop frame replaced by the
// Python frames it runs), native frames for threads without Python state.
// Non-Python targets get the plain native snapshot.
#include "asyncio/asyncio_walker.hpp"
#include "base/result.hpp"
#include "python/interpreter_threads.hpp"
#include "python/python_walker.hpp"
#include "snapshot/native_snapshot.hpp"
#include "snapshot/snapshot.hpp"
#include "target/target.hpp"

namespace corostack {

struct SnapshotOptions {
  NativeSnapshotOptions native;
  bool python = true;         // look for CPython at all
  bool merge_native = false;  // --native
  // Unwind threads that have no Python frames (C threads); off for commands
  // that only report Python state.
  bool native_fallback = true;
  python::PyWalkOptions walk;
  bool asyncio = false;  // also read asyncio's tasks, in the same pause
  asyncio::AsyncWalkOptions async_walk;
  // Set to the interpreter found, for callers that read more of it after the
  // snapshot (doctor: lock objects, the GIL). Left alone when there is none.
  std::optional<python::PythonRuntime>* runtime_out = nullptr;
};

// Which thread's stack holds an address: the mapping holding each captured
// thread's stack pointer (thread stacks are mappings of their own).
python::StackOwner stack_owner(const std::vector<ThreadState>& threads,
                               const std::vector<MemoryMap>& maps);

Result<ProcessSnapshot> take_snapshot(Target& target, const SnapshotOptions& options);

// Native frames that run the eval loop: each stands for one group of Python frames.
bool is_eval_frame(const Frame& f);

// Replaces eval-loop frames in `native` by the Python frames they run.
// Returns false (and leaves `out` = Python frames then native frames) when
// the number of eval frames and of Python entry groups differ.
bool merge_python_frames(const std::vector<Frame>& native, const std::vector<Frame>& python,
                         const std::vector<bool>& entries, std::vector<Frame>& out);

}  // namespace corostack
