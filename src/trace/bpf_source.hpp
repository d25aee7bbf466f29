#pragma once
// The in-kernel trace source: drives BpfTracer and hands its records to the
// same sinks as the ptrace source, so the output is the same. A record is a
// finished call (entry and exit together); calls still running at the end
// are shown unfinished. What the kernel does not report here: signals
// ("--- SIG... ---" lines need ptrace) and how a process ended when it did
// not call exit_group (killed by a signal).
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/result.hpp"
#include "trace/bpf_python_stacks.hpp"
#include "trace/bpf_tracer.hpp"
#include "trace/call_counts.hpp"
#include "trace/ptrace_tracer.hpp"
#include "trace/trace_sink.hpp"

namespace corostack::trace {

struct BpfSourceOptions {
  bool follow_forks = false;
  std::function<bool(int64_t nr)> traced;  // empty: all
  // -c counted in the kernel: nothing crosses per call; the totals go to
  // `counts` at the end (latency, as strace -w).
  CallCounts* count_only = nullptr;
  uint32_t copy_limit = 256;
  // --py: innermost Python frames under each call (at most kBpfMaxPyFrames),
  // walked in the kernel at entry; 0 none.
  size_t python_depth = 0;
};

class BpfSource {
 public:
  // Traces `pid`, or, with `command`, a command started for it (traced from
  // its execve on; `pid` is ignored).
  static Result<std::unique_ptr<BpfSource>> open(pid_t pid, const std::vector<std::string>& command,
                                                 const BpfSourceOptions& options, TraceSink& sink);
  ~BpfSource();
  TraceEnd run(uint64_t deadline_ns, const std::function<bool()>& should_stop);
  // Ends the trace: calls in flight are reported unfinished, -c totals added.
  // A started command is sent kill_signal when not 0.
  void finish(int kill_signal);
  std::optional<int> command_status() const { return command_status_; }
  uint64_t dropped() const { return tracer_ ? tracer_->dropped() : 0; }

 private:
  BpfSource(const BpfSourceOptions& options, TraceSink& sink) : options_(options), sink_(sink) {}
  void deliver(const BpfSyscallRecord& r);
  void python_stack(const BpfSyscallRecord& r, CallEntry& e);
  Status locate_python(pid_t tgid);
  bool target_alive();

  BpfSourceOptions options_;
  TraceSink& sink_;
  std::unique_ptr<BpfTracer> tracer_;
  pid_t pid_ = 0;
  pid_t command_pid_ = 0;
  std::optional<int> command_status_;
  bool seen_exec_ = false;  // a started command shows from its execve on
  int64_t wall_offset_ns_ = 0;
  bool finished_ = false;
  std::unordered_set<pid_t> tids_;  // threads seen: "[pid N]" once there are two
  std::unique_ptr<BpfPythonStacks> python_;
};

}  // namespace corostack::trace
