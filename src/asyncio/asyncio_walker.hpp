#pragma once
// asyncio from outside (CPython 3.8-3.13): every task in asyncio's registry,
// its coroutine stack down to what it waits on, its loop and thread, and the
// await graph between tasks. Reads only through a MemoryReader, inside the
// same pause as the thread walk (the task lists change as the loop runs).
//
// Registry: the `asyncio.tasks` module's globals, i.e. what all_tasks()
// iterates: `_scheduled_tasks` (a WeakSet) and `_eager_tasks` (a set) on
// 3.12+, `_all_tasks` (a WeakSet) before. Both C tasks (_asyncio.Task and
// subclasses: TaskObj fields) and pure-Python ones (_PyTask: instance
// attributes) are read. Done tasks stay listed while something references
// them, as in the WeakSet.
//
// Edges (child is awaited by parent), reconstructed as CPython < 3.14 keeps
// no such links: the parent's _fut_waiter is the child (await); the parent
// waits on a _GatheringFuture whose _children hold the child (gather); the
// child's done callbacks lead to the parent: a TaskGroup._on_task_done bound
// method (the group's _parent_task), or a function/partial whose closure or
// arguments hold the future the parent waits on (shield, wait, wait_for <=3.11,
// gather). Cycles in the graph are reported.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "asyncio/orphaned_waits.hpp"
#include "asyncio/unawaited_coroutines.hpp"
#include "base/remote_addr.hpp"
#include "python/python_frame.hpp"
#include "python/python_locator.hpp"
#include "python/python_walker.hpp"
#include "target/memory_reader.hpp"

namespace corostack::asyncio {

enum class TaskState { kPending, kCancelled, kFinished, kUnknown };
const char* task_state_name(TaskState s);  // "pending", "cancelled", "done", "unknown"

struct AsyncTask {
  RemoteAddr address;
  RemoteAddr coroutine;  // the task's coroutine object (null when unreadable)
  std::string name;
  TaskState state = TaskState::kUnknown;
  bool c_task = false;  // _asyncio.Task (or a subclass); false: a pure-Python task
  RemoteAddr loop;
  int64_t interpreter = -1;  // PyInterpreterState.id of the interpreter it belongs to (0 = main)
  uint64_t thread_id = 0;    // ident of the thread running its loop (0: unknown)
  bool running = false;      // its loop's current task: the stack is the thread's
  // Coroutine frames, innermost first: the chain of awaits from the task's
  // coroutine inwards; for a running task the thread's frames down to it.
  std::vector<python::PyFrame> stack;
  RemoteAddr awaiting;        // the future it waits on (_fut_waiter), or the innermost awaitable
  std::string awaiting_type;  // its type name ("Future", "_GatheringFuture", "Task", ...)
  // What made that future: "sleep", "Queue.get", "Lock.acquire", "Event.wait",
  // "stream read", "run_in_executor", ...; empty when unknown or a task.
  std::string awaiting_owner;
  std::optional<size_t> awaiting_task;  // index of the awaited task, when it is one
  std::vector<std::string> errors;      // non-empty: this task is incomplete
};

struct AsyncEdge {
  size_t child = 0;   // index into tasks: awaited ...
  size_t parent = 0;  // ... by this one
  std::string via;    // "await", "gather", "taskgroup", "shield", "wait", "wait_for",
                      // "as_completed", "callback"
};

struct AsyncLoop {
  RemoteAddr address;
  std::string type;
  uint64_t thread_id = 0;              // BaseEventLoop._thread_id while it runs, else 0
  std::optional<size_t> current_task;  // index into tasks
};

struct AsyncioState {
  bool imported = false;  // asyncio.tasks is in sys.modules
  std::vector<AsyncTask> tasks;
  // Coroutines created but never awaited nor wrapped in a task (found in the
  // GC's lists, with or without asyncio), and how many objects were searched.
  std::vector<UnawaitedCoroutine> unawaited;
  size_t gc_objects_scanned = 0;
  // Why never-awaited coroutines were not looked for, when they were not
  // (a free-threaded build keeps its objects in mimalloc heaps, not GC lists:
  // the snapshot scans the heap for them after the pause instead).
  std::string unawaited_not_checked;
  std::vector<AsyncEdge> edges;
  std::vector<AsyncLoop> loops;
  std::vector<std::vector<size_t>> cycles;  // each: task indices, first repeated implicitly
  // Pending tasks waiting on something only they reference (orphaned_waits.hpp).
  std::vector<OrphanedWait> orphaned;
  std::vector<std::string> errors;  // registry-level problems
  bool complete() const;
};

struct AsyncWalkOptions {
  size_t max_tasks = 200000;
  size_t max_stack = 256;  // coroutine frames per task
  size_t max_callbacks = 64;
  bool find_unawaited = true;       // search the GC's lists for never-awaited coroutines
  size_t max_gc_objects = 4000000;  // objects visited in that search
  size_t max_unawaited = 10000;     // coroutines reported
  bool find_orphaned = true;        // waits on futures and primitives only their task references
};

// `threads` is the thread walk of the same pause: running tasks take their
// frames from it.
AsyncioState walk_asyncio(const MemoryReader& mem, const python::PythonRuntime& runtime,
                          const python::PyProcess& threads, const AsyncWalkOptions& options = {});

}  // namespace corostack::asyncio
