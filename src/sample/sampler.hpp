#pragma once
// The sampling loop's one step: attach to a live process once, then take one
// sample of every thread per call and add it to a Profile. `record` and `top`
// drive it at a rate; it owns no timing of its own.
//
// Blocking mode (default): running threads are stopped for the duration of
// one Python walk (PTRACE_SEIZE + PTRACE_INTERRUPT, never SIGSTOP); threads
// blocked in a system call are never stopped (design invariant 7).
// Nonblocking mode stops nothing: stacks of running threads may be torn.
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "base/result.hpp"
#include "sample/profile.hpp"

namespace corostack::sample {

struct SamplerOptions {
  bool native = false;         // native frames merged with Python frames (--native)
  bool nonblocking = false;    // never stop the target (--nonblocking)
  bool idle = false;           // keep samples of threads that are not running (--idle)
  bool gil_only = false;       // keep only samples of the thread holding the GIL (--gil)
  bool thread_roots = false;   // thread as root frame (--threads)
  bool task_roots = false;     // asyncio task name as root frame (--async)
  bool process_roots = false;  // process as root frame (--subprocesses)
  bool lines = true;           // false: aggregate Python frames by function (line 0)
  // attach() fails unless a Python interpreter is found, even with --native
  // (a command just started may not have mapped libpython yet: try again).
  bool require_python = false;
};

struct SampleRoundStats {
  size_t threads_seen = 0;
  size_t samples_added = 0;
  size_t errors = 0;      // threads whose stack could not be read this round
  uint64_t pause_ns = 0;  // how long the target was stopped this round
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  // Opens the process, locates its interpreter (if any) and prepares what the
  // rounds need (symbols, layouts), before anything is stopped.
  static Result<std::unique_ptr<Sampler>> attach(pid_t pid, const SamplerOptions& options);
  // One round: every thread of the process, added to `profile` at `time_ns`
  // (nanoseconds since profile.start_unix_ns). kGone when the process exited.
  virtual Result<SampleRoundStats> sample(Profile& profile, uint64_t time_ns) = 0;
  virtual pid_t pid() const = 0;
};

}  // namespace corostack::sample
