#include "trace/bpf_source.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>

#include "base/clock.hpp"
#include "target/access_policy.hpp"
#include "trace/copied_memory.hpp"
#include "trace/vm_reader.hpp"
#include "trace/waiting_command.hpp"

namespace corostack::trace {
namespace {

constexpr int64_t kExecve = 59;
constexpr int64_t kExit = 60;
constexpr int64_t kExitGroup = 231;
constexpr int64_t kClone = 56, kFork = 57, kVfork = 58, kClone3 = 435;

// A new thread's or child's first return, from a clone it never entered:
// strace shows the call once, in the parent.
bool child_side_of_clone(const BpfSyscallRecord& r) {
  bool clone = r.nr == kClone || r.nr == kClone3 || r.nr == kFork || r.nr == kVfork;
  return clone && r.entered_before_trace && r.ret == 0;
}

bool is_exit(int64_t nr) {
  return nr == kExit || nr == kExitGroup;
}

}  // namespace

BpfSource::~BpfSource() {
  if (!finished_) finish(command_pid_ ? SIGKILL : 0);
}

Result<std::unique_ptr<BpfSource>> BpfSource::open(pid_t pid,
                                                   const std::vector<std::string>& command,
                                                   const BpfSourceOptions& options,
                                                   TraceSink& sink) {
  if (command.empty())
    if (auto allowed = check_may_inspect(pid); !allowed) return allowed.error();
  std::unique_ptr<BpfSource> s(new BpfSource(options, sink));
  std::optional<WaitingCommand> child;
  if (!command.empty()) {
    auto c = WaitingCommand::fork(command);
    if (!c) return c.error();
    child.emplace(std::move(*c));
    pid = child->pid();
    s->command_pid_ = pid;
  }
  s->pid_ = pid;
  BpfTraceOptions bo;
  bo.tgid = pid;
  bo.follow_forks = options.follow_forks || !command.empty();
  bo.count_only = options.count_only != nullptr;
  bo.copy_limit = options.copy_limit;
  bo.python_depth = static_cast<uint32_t>(std::min(options.python_depth, kBpfMaxPyFrames));
  if (bo.python_depth) s->python_ = std::make_unique<BpfPythonStacks>();
  if (options.traced) {
    bo.traced_nrs.resize(static_cast<size_t>(kBpfMaxNr));
    for (int64_t nr = 0; nr < kBpfMaxNr; ++nr)
      bo.traced_nrs[static_cast<size_t>(nr)] = options.traced(nr) || nr == kExecve || is_exit(nr);
    bo.trace_unknown = false;
  }
  auto t = BpfTracer::open(bo);
  if (!t) return t.error();  // a command not yet let go is killed with `child`
  s->tracer_ = std::move(*t);
  s->wall_offset_ns_ = static_cast<int64_t>(clock_ns(CLOCK_REALTIME)) -
                       static_cast<int64_t>(clock_ns(CLOCK_MONOTONIC));
  if (child) {
    child->go();
  } else {
    // Before "attached": every call the user sees from here carries its stack.
    // No Python (yet) is no error: records without a layout look again.
    if (s->python_) (void)s->locate_python(pid);
    s->seen_exec_ = true;
    sink.note("Process " + std::to_string(pid) + " attached (in-kernel tracing)");
  }
  return s;
}

Status BpfSource::locate_python(pid_t tgid) {
  auto layout = python_->locate(tgid);
  if (!layout) return layout.error();
  if (auto set = tracer_->set_python_layout(tgid, *layout); !set)
    sink_.note("--py: " + set.error().message);
  return ok_status();
}

// The record's Python frames into the entry, or why there are none. Only
// what a user can act on is said: a thread or process without Python gets
// nothing, as under ptrace.
void BpfSource::python_stack(const BpfSyscallRecord& r, CallEntry& e) {
  switch (r.python_status) {
    case BpfPyStatus::kNoLayout: {
      // Not known to the kernel yet (a command that has just exec'd): look
      // now, so the calls that follow carry it.
      auto located = locate_python(r.tgid);
      if (!located && located.error().kind != ErrorKind::kNotFound)
        e.python_error = located.error().message;
      return;
    }
    case BpfPyStatus::kNone:
    case BpfPyStatus::kNoThread:
      return;
    case BpfPyStatus::kLost:
      e.python_error = "lost: another thread's call took its slot in the kernel";
      return;
    case BpfPyStatus::kOk:
    case BpfPyStatus::kFault:
      break;
  }
  std::vector<uint64_t> codes_read;
  auto frames = python_->resolve(r.tgid, r.python, &codes_read);
  for (uint64_t code : codes_read) tracer_->python_code_known(code);
  if (frames && !frames->empty()) {
    e.python = std::move(*frames);
  } else if (!frames) {
    e.python_error = frames.error().message;
  } else if (r.python_status == BpfPyStatus::kFault) {
    e.python_error = "frames unreadable from the kernel";
  }
}

bool BpfSource::target_alive() {
  if (command_pid_) {
    if (command_status_) return false;
    int status = 0;
    if (::waitpid(command_pid_, &status, WNOHANG) == command_pid_) {
      command_status_ = status;
      return false;
    }
    return true;
  }
  return ::kill(pid_, 0) == 0 || errno == EPERM;
}

void BpfSource::deliver(const BpfSyscallRecord& r) {
  if (!seen_exec_) {
    // A started command shows from its execve on, as under strace.
    if (r.nr != kExecve || r.tgid != command_pid_) return;
    seen_exec_ = true;
  }
  if (tids_.insert(r.tid).second) sink_.threads_traced(tids_.size());
  if (child_side_of_clone(r)) return;
  bool shown = !options_.traced || options_.traced(r.nr);
  if (!shown && !(is_exit(r.nr) && r.exited_in_call)) return;
  CallEntry e;
  e.call.tid = r.tid;
  e.call.nr = r.nr;
  e.call.args = r.args;
  e.tgid = r.tgid;
  e.time_ns = r.enter_ns ? r.enter_ns : r.exit_ns;
  e.wall_ns = static_cast<uint64_t>(static_cast<int64_t>(e.time_ns) + wall_offset_ns_);
  e.in_progress = r.entered_before_trace;
  if (python_ && r.nr == kExecve && r.ret == 0) {
    // A new program: whatever interpreter the process ran is gone.
    tracer_->forget_python(r.tgid);
    python_->forget(r.tgid);
  }
  // A successful execve's stack was the old program's, whose memory is gone.
  if (python_ && shown && !(r.nr == kExecve && r.ret == 0)) python_stack(r, e);
  CopiedMemory mem(r.copies);
  if (shown) {
    // The caller's *addrlen as it was at entry, where the kernel's copy at
    // return holds the length it wrote: the writers read both ("[110 => 16]").
    std::vector<BpfCopy> at_entry;
    if (r.entry_len) {
      at_entry = r.copies;
      for (BpfCopy& c : at_entry)
        if (c.addr == r.args[2] && c.bytes.size() >= sizeof(uint32_t))
          std::memcpy(c.bytes.data(), &*r.entry_len, sizeof(uint32_t));
    }
    CopiedMemory entry_mem(r.entry_len ? std::span<const BpfCopy>(at_entry)
                                       : std::span<const BpfCopy>(r.copies));
    sink_.enter(e, entry_mem);
    CallExit x;
    x.ret = r.ret;
    x.time_ns = r.exit_ns;
    x.unavailable = r.exited_in_call;
    sink_.leave(r.tid, x, mem);
  }
  // The only ends the kernel reports here: exit and exit_group calls.
  if (r.exited_in_call && is_exit(r.nr)) {
    ExitEvent ex;
    ex.tid = r.tid;
    ex.code = static_cast<int>(r.args[0] & 0xff);
    ex.time_ns = r.exit_ns;
    ex.wall_ns = e.wall_ns;
    sink_.exited(ex);
  }
}

TraceEnd BpfSource::run(uint64_t deadline_ns, const std::function<bool()>& should_stop) {
  while (true) {
    if (should_stop && should_stop()) return TraceEnd::kStopRequested;
    if (deadline_ns && clock_ns(CLOCK_MONOTONIC) >= deadline_ns) return TraceEnd::kDeadline;
    auto n = tracer_->poll(100, [&](const BpfSyscallRecord& r) { deliver(r); });
    if (!n) {
      sink_.note("in-kernel trace: " + n.error().message);
      return TraceEnd::kAllExited;
    }
    if (*n > 0) sink_.flush();  // once per batch, not per line
    if (*n == 0 && !target_alive()) {
      // Drain what the last calls left in the ring buffer.
      while (true) {
        auto more = tracer_->poll(0, [&](const BpfSyscallRecord& r) { deliver(r); });
        if (!more || *more == 0) break;
      }
      return TraceEnd::kAllExited;
    }
  }
}

void BpfSource::finish(int kill_signal) {
  if (finished_) return;
  finished_ = true;
  if (!tracer_) return;
  if (options_.count_only) {
    for (const auto& [nr, st] : tracer_->stats()) {
      if (options_.traced && !options_.traced(nr)) continue;
      options_.count_only->add(nr, CallCount{st.calls, st.errors, st.total_ns});
    }
  }
  // Calls still running: shown as strace shows them when it detaches.
  if (!options_.count_only) {
    for (const BpfSyscallRecord& r : tracer_->in_flight()) {
      if (options_.traced && !options_.traced(r.nr)) continue;
      CallEntry e;
      e.call.tid = r.tid;
      e.call.nr = r.nr;
      e.call.args = r.args;
      e.tgid = r.tgid;
      e.time_ns = r.enter_ns;
      e.wall_ns = static_cast<uint64_t>(static_cast<int64_t>(r.enter_ns) + wall_offset_ns_);
      VmReader live(r.tgid);
      sink_.enter(e, live);
    }
  }
  if (uint64_t lost = tracer_->dropped())
    sink_.note(std::to_string(lost) + " calls were lost (the ring buffer was full)");
  tracer_.reset();  // detaches everything
  if (command_pid_ && !command_status_) {
    if (kill_signal) ::kill(command_pid_, kill_signal);
    int status = 0;
    if (::waitpid(command_pid_, &status, 0) == command_pid_) command_status_ = status;
  }
}

}  // namespace corostack::trace
