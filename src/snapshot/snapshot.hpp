#pragma once
// The model every renderer consumes: process → threads → frames, plus what
// could not be read. Built by the walkers; knows nothing about output formats.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "asyncio/asyncio_walker.hpp"
#include "native/syscalls.hpp"
#include "snapshot/crash_info.hpp"
#include "target/target.hpp"

namespace corostack {

// kAsync: a suspended C++ coroutine that awaits the running one, spliced
// after the physical frame of the coroutine it resumes when that finishes.
enum class FrameKind { kNative, kPython, kAsync };

// A local variable of a Python frame, already rendered (bounded repr).
// A local variable of a frame, already rendered: a bounded repr for Python
// frames, gdb's spelling of the value for native ones.
struct Local {
  std::string name;
  std::string repr;
  bool argument = false;
  // Native parameters: the value at entry, from the caller's call site (gdb's `@entry`).
  std::optional<std::string> entry_value;
};

// One line of a Python frame's source file, as read by source_lines.
struct SourceLine {
  int line = 0;
  std::string text;      // without the newline; capped (a cut ends in "…")
  bool current = false;  // the line the frame executes
};

struct Frame {
  FrameKind kind = FrameKind::kNative;
  uint64_t pc = 0;                      // native: program counter; Python: frame address
  std::optional<std::string> function;  // Python: co_qualname (3.11+) or co_name
  std::optional<uint64_t> offset;
  std::string module;
  std::string file;  // Python: co_filename as the code object has it
  int line = 0;      // 0: unknown
  // Python 3.11+: the executing expression's extent (PEP 657): end line and
  // UTF-8 byte columns, end exclusive, when the location table has them.
  int end_line = 0;
  std::optional<int> column;
  std::optional<int> end_column;
  bool inlined = false;
  // Python frames: the id of the interpreter running it (0 = main), -1 when
  // the version has none (2.7, 3.6).
  int64_t interpreter = -1;
  std::vector<Local> locals;  // with --locals (Python and native frames)
  bool tail_call = false;  // native: a frame a tail call left off the stack, from call-site DWARF
  // Python frames: the executing line (and context around it with --source N),
  // read from the file; empty when it cannot be read.
  std::vector<SourceLine> source;
  bool source_changed = false;  // the file is newer than the process (or the core)
};

// What the interpreter says about a thread that runs Python code.
struct PythonThreadInfo {
  uint64_t thread_id = 0;  // threading.get_ident() (pthread_t)
  bool holds_gil = false;
  bool gc_collecting = false;  // holds the GIL while the collector runs
};

struct PythonProcessInfo {
  std::string version;  // "3.11.7"
  std::string module;   // the ELF holding the interpreter
  // "table" (ours, from libpython DWARF) or "_Py_DebugOffsets" (the target's own, 3.13+).
  std::string layout_source = "table";
  std::optional<bool> gc_collecting;
  bool gil_known = false;
  bool free_threaded = false;         // a --disable-gil build (3.13t+)
  std::optional<bool> gil_enabled;    // free-threaded builds: false = running without a GIL
  bool finalizing = false;            // Py_Finalize in progress
  bool untested_version = false;      // newer than any table: read by its own offsets
  std::vector<int64_t> interpreters;  // ids of the interpreters found (main = 0)
  std::vector<std::string> errors;
};

struct ThreadSnapshot {
  pid_t tid = 0;
  std::string name;  // threading's name for a Python thread, else comm
  std::string comm;  // the kernel's name (/proc comm); may be empty for kernel cores
  char state = '?';
  bool is_main = false;
  std::optional<SyscallInfo> syscall;
  std::optional<PythonThreadInfo> python;  // set for threads with a Python thread state
  std::vector<Frame> frames;               // innermost first
  std::vector<std::string> errors;         // non-empty: this thread's stack is incomplete
  // --nonblocking: read while it ran, so its frames may mix two moments.
  bool may_be_torn = false;
};

struct ProcessSnapshot {
  TargetKind source = TargetKind::kLive;
  std::string core_path;
  pid_t pid = 0;
  std::string command;
  std::string command_line;
  std::string exe;
  uint64_t pause_ns = 0;
  std::vector<ThreadSnapshot> threads;
  std::vector<std::string> warnings;
  std::optional<PythonProcessInfo> python;       // set when the target runs CPython
  std::optional<asyncio::AsyncioState> asyncio;  // set when asyncio's tasks were asked for
  std::optional<CrashInfo> crash;                // cores of a process killed by a signal

  // The snapshot thread running Python thread `ident`, or nullptr.
  const ThreadSnapshot* python_thread(uint64_t ident) const {
    for (const auto& t : threads)
      if (t.python && t.python->thread_id == ident) return &t;
    return nullptr;
  }

  // False when anything could not be read: a thread's stack or the
  // interpreter's own lists. `dump` exits 1 then.
  bool complete() const {
    for (const auto& t : threads)
      if (!t.errors.empty()) return false;
    if (python && !python->errors.empty()) return false;
    if (asyncio && !asyncio->complete()) return false;
    return !threads.empty();
  }
};

// Human name for a /proc state letter ("sleeping", "running", ...).
const char* state_name(char state);

}  // namespace corostack
