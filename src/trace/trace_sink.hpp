#pragma once
// What a trace source (ptrace or in-kernel) reports, and what the writers
// (strace lines, JSON, the -c table) consume. A source calls enter() then
// leave() for each call of a thread; it may interleave other threads' events
// between the two. Times are CLOCK_MONOTONIC nanoseconds except `wall_ns`.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "python/python_frame.hpp"
#include "target/memory_reader.hpp"
#include "trace/native_stacks.hpp"
#include "trace/syscall_decode.hpp"

namespace corostack::trace {

struct CallEntry {
  CallArgs call;
  pid_t tgid = 0;
  uint64_t time_ns = 0;  // monotonic, at entry
  uint64_t wall_ns = 0;  // CLOCK_REALTIME at entry (-t)
  // The calling thread's Python stack at entry (--py), innermost first.
  std::vector<python::PyFrame> python;
  std::string python_error;  // why no Python stack was read, when asked for
  // Its native stack at entry (--native), innermost first.
  std::vector<NativeCallFrame> native;
  std::string native_error;  // why no native stack was read, when asked for
  // The call was already in progress when the trace began (-p on a blocked thread).
  bool in_progress = false;
};

struct CallExit {
  int64_t ret = 0;
  uint64_t time_ns = 0;
  // System CPU time the call used (strace -c's default); nullopt when the
  // source measures only latency (then -c counts latency, as -w).
  std::optional<uint64_t> cpu_ns;
  // The thread never came back from it (exit_group, killed, detached): "= ?".
  bool unavailable = false;
};

struct SignalEvent {
  pid_t tid = 0;
  int signo = 0;
  std::string siginfo;   // "{si_signo=SIGCHLD, si_code=CLD_EXITED, ...}"
  bool stopped = false;  // a group stop: "--- stopped by SIGSTOP ---"
  uint64_t time_ns = 0, wall_ns = 0;
};

struct ExitEvent {
  pid_t tid = 0;
  int code = 0;   // exit status when !killed
  int signo = 0;  // killing signal when killed
  bool killed = false;
  bool core_dumped = false;
  uint64_t time_ns = 0, wall_ns = 0;
};

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  // `mem` reads the calling process as it is now (the thread is stopped at
  // entry for ptrace; for the in-kernel source, the copies taken in the kernel).
  virtual void enter(const CallEntry& entry, const MemoryReader& mem) = 0;
  virtual void leave(pid_t tid, const CallExit& exit, const MemoryReader& mem) = 0;
  virtual void signal(const SignalEvent& event) = 0;
  virtual void exited(const ExitEvent& event) = 0;
  // A message strace writes as "strace: ..." ("Process 12 attached").
  virtual void note(const std::string& message) = 0;
  // How many threads are traced now (strace prefixes lines with the tid
  // while there is more than one).
  virtual void threads_traced(size_t count) { (void)count; }
  // A batch of events was delivered: what is written so far reaches its
  // file (a -o file followed with tail -f, as strace's is).
  virtual void flush() {}
  // The trace is over: close open lines, print tables.
  virtual void finish() = 0;
};

}  // namespace corostack::trace
