#pragma once
// The ptrace trace source, strace's mechanism: PTRACE_SEIZE every thread
// (re-listing /proc/PID/task until no new one appears), PTRACE_INTERRUPT to
// take each into a stop, then PTRACE_SYSCALL with TRACESYSGOOD and clone/
// exec events (and fork/vfork with -f), PTRACE_GET_SYSCALL_INFO at each stop.
//
// Interrupting a thread blocked in a system call makes that call return
// once (epoll_wait gets EINTR; restartable calls restart), as under strace:
// once at attach and once at detach. Never SIGSTOP, never PTRACE_ATTACH: if
// corostack dies, the kernel detaches every seized thread and it runs on.
#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "trace/native_stacks.hpp"
#include "trace/python_stacks.hpp"
#include "trace/trace_sink.hpp"
#include "trace/vm_reader.hpp"

namespace corostack::trace {

struct PtraceOptions {
  bool follow_forks = false;               // -f: children too (threads always)
  std::function<bool(int64_t nr)> traced;  // calls reported; empty: all
  PythonStacks* python = nullptr;          // --py
  NativeStacks* native = nullptr;          // --native
  bool cpu_time = false;                   // -c: system CPU time per call
  // "Process N attached" for each thread or child followed after the start:
  // strace says it on stderr only while the trace goes there too (not with -o).
  bool announce_followed = true;
};

enum class TraceEnd { kStopRequested, kDeadline, kAllExited };

class PtraceTracer {
 public:
  // Traces every thread of the running process `pid`.
  static Result<std::unique_ptr<PtraceTracer>> attach(pid_t pid, const PtraceOptions& options,
                                                      TraceSink& sink);
  // Starts `argv` (found on PATH) and traces it from its execve on.
  static Result<std::unique_ptr<PtraceTracer>> start(const std::vector<std::string>& argv,
                                                     const PtraceOptions& options, TraceSink& sink);
  ~PtraceTracer();
  PtraceTracer(const PtraceTracer&) = delete;
  PtraceTracer& operator=(const PtraceTracer&) = delete;

  // Traces until should_stop() is true (checked at least every 100 ms),
  // `deadline_ns` (CLOCK_MONOTONIC; 0: none) or every tracee has exited.
  TraceEnd run(uint64_t deadline_ns, const std::function<bool()>& should_stop);
  // Lets every thread go, untraced and running (a pending signal is
  // delivered). For a started command, sends it `kill_signal` first (0: none),
  // as strace does when it is stopped. Idempotent; the destructor calls it.
  void detach_all(int kill_signal = 0);

  // The started command's wait status once it exited.
  std::optional<int> command_status() const { return command_status_; }
  size_t thread_count() const { return tracees_.size(); }

 private:
  struct Tracee {
    pid_t tid = 0;
    pid_t tgid = 0;
    bool in_call = false;   // between a syscall-entry and its exit stop
    bool reported = false;  // this call goes to the sink
    int64_t nr = -1;
    uint64_t stime_ns = 0;  // process system time at entry (-c)
    bool quiet = false;     // a started command before its execve: not shown
    bool group_stopped = false;
    bool started = false;  // we started it (-- CMD): killed, not detached, on stop
  };
  PtraceTracer(const PtraceOptions& options, TraceSink& sink) : options_(options), sink_(sink) {}
  Status seize_all(pid_t pid);
  Tracee& add_tracee(pid_t tid, pid_t tgid);
  void handle(pid_t tid, int status, const struct rusage& ru);
  void on_syscall_stop(Tracee& t, const struct rusage& ru);
  void on_event(Tracee& t, int event);
  void on_exit(pid_t tid, int status);
  const VmReader& memory(pid_t tgid);

  PtraceOptions options_;
  TraceSink& sink_;
  std::unordered_map<pid_t, Tracee> tracees_;
  std::unordered_map<pid_t, std::unique_ptr<VmReader>> memory_;
  pid_t command_pid_ = 0;
  std::optional<int> command_status_;
  bool detached_ = false;
};

}  // namespace corostack::trace
