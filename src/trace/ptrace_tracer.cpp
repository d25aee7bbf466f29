#include "trace/ptrace_tracer.hpp"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <set>

#include "base/clock.hpp"
#include "target/access_policy.hpp"
#include "target/pause_guard.hpp"
#include "target/proc_fs.hpp"
#include "trace/siginfo_text.hpp"
#include "trace/waiting_command.hpp"

namespace corostack::trace {
namespace {

constexpr int kSyscallStop = SIGTRAP | 0x80;
constexpr uint64_t kDetachDeadlineNs = 2'000'000'000;

uint64_t timeval_ns(const timeval& tv) {
  return static_cast<uint64_t>(tv.tv_sec) * 1'000'000'000u +
         static_cast<uint64_t>(tv.tv_usec) * 1000u;
}

// The thread group of a tid, from /proc (0 when it is gone).
pid_t tgid_of(pid_t tid) {
  auto text = read_text_file("/proc/" + std::to_string(tid) + "/status", 1 << 16);
  if (!text) return 0;
  size_t p = text->find("\nTgid:");
  return p == std::string::npos ? 0 : std::atoi(text->c_str() + p + 6);
}

bool is_stop_signal(int sig) {
  return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

// A no-op handler: SIGALRM only has to make a blocking wait4 return, so
// stop requests and -d are seen within its period.
void on_tick(int) {}

class Ticker {
 public:
  Ticker() {
    struct sigaction sa {};
    sa.sa_handler = on_tick;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGALRM, &sa, &old_);
    itimerval it{};
    it.it_interval.tv_usec = 100'000;
    it.it_value.tv_usec = 100'000;
    ::setitimer(ITIMER_REAL, &it, &old_timer_);
  }
  ~Ticker() {
    ::setitimer(ITIMER_REAL, &old_timer_, nullptr);
    ::sigaction(SIGALRM, &old_, nullptr);
  }

 private:
  struct sigaction old_ {};
  itimerval old_timer_{};
};

unsigned long ptrace_options(bool follow_forks) {
  unsigned long o = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC;
  if (follow_forks) o |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;
  return o;
}

}  // namespace

PtraceTracer::~PtraceTracer() {
  detach_all(command_pid_ ? SIGKILL : 0);
}

const VmReader& PtraceTracer::memory(pid_t tgid) {
  auto& slot = memory_[tgid];
  if (!slot) slot = std::make_unique<VmReader>(tgid);
  return *slot;
}

PtraceTracer::Tracee& PtraceTracer::add_tracee(pid_t tid, pid_t tgid) {
  Tracee& t = tracees_[tid];
  t.tid = tid;
  t.tgid = tgid ? tgid : tgid_of(tid);
  if (!t.tgid) t.tgid = tid;
  if (tracees_.size() > 1 && options_.announce_followed)
    sink_.note("Process " + std::to_string(tid) + " attached");
  sink_.threads_traced(tracees_.size());
  return t;
}

Status PtraceTracer::seize_all(pid_t pid) {
  std::set<pid_t> seen;
  for (int round = 0; round < 100; ++round) {
    auto tids = list_tasks(pid);
    if (!tids) {
      if (seen.empty()) return tids.error();
      break;
    }
    bool fresh = false;
    for (pid_t tid : *tids) {
      if (!seen.insert(tid).second) continue;
      fresh = true;
      if (::ptrace(PTRACE_SEIZE, tid, nullptr, ptrace_options(options_.follow_forks)) != 0) {
        if (errno == ESRCH) continue;  // exited meanwhile
        int e = errno;
        if (tracees_.empty()) {
          if (e == EPERM || e == EACCES)
            return make_error(ErrorKind::kPermission, ptrace_permission_help(pid));
          return make_error(ErrorKind::kIo,
                            "PTRACE_SEIZE " + std::to_string(tid) + ": " + std::strerror(e));
        }
        continue;
      }
      Tracee& t = tracees_[tid];
      t.tid = tid;
      t.tgid = pid;
      ::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr);
    }
    if (!fresh) break;
  }
  if (tracees_.empty()) return make_error(ErrorKind::kGone, "process exited");
  return ok_status();
}

Result<std::unique_ptr<PtraceTracer>> PtraceTracer::attach(pid_t pid, const PtraceOptions& options,
                                                           TraceSink& sink) {
  if (auto allowed = check_may_inspect(pid); !allowed) return allowed.error();
  std::unique_ptr<PtraceTracer> t(new PtraceTracer(options, sink));
  delay_attach_for_tests();
  if (auto s = t->seize_all(pid); !s) return s.error();
  std::string what = "Process " + std::to_string(pid) + " attached";
  if (t->tracees_.size() > 1) what += " with " + std::to_string(t->tracees_.size()) + " threads";
  sink.note(what);
  sink.threads_traced(t->tracees_.size());
  return t;
}

Result<std::unique_ptr<PtraceTracer>> PtraceTracer::start(const std::vector<std::string>& argv,
                                                          const PtraceOptions& options,
                                                          TraceSink& sink) {
  auto command = WaitingCommand::fork(argv);
  if (!command) return command.error();
  pid_t pid = command->pid();
  std::unique_ptr<PtraceTracer> t(new PtraceTracer(options, sink));
  t->command_pid_ = pid;
  if (::ptrace(PTRACE_SEIZE, pid, nullptr, ptrace_options(options.follow_forks)) != 0) {
    // The command is killed and reaped as it goes out of scope.
    return make_error(ErrorKind::kPermission, std::string("PTRACE_SEIZE: ") + std::strerror(errno));
  }
  Tracee& c = t->tracees_[pid];
  c.tid = pid;
  c.tgid = pid;
  c.quiet = true;
  c.started = true;
  // Into a stop, so the loop's first PTRACE_SYSCALL starts the tracing.
  ::ptrace(PTRACE_INTERRUPT, pid, nullptr, nullptr);
  command->go();  // traced from here on
  return t;
}

TraceEnd PtraceTracer::run(uint64_t deadline_ns, const std::function<bool()>& should_stop) {
  Ticker ticker;
  while (!tracees_.empty()) {
    if (should_stop && should_stop()) return TraceEnd::kStopRequested;
    if (deadline_ns && clock_ns(CLOCK_MONOTONIC) >= deadline_ns) return TraceEnd::kDeadline;
    int status = 0;
    struct rusage ru {};
    pid_t tid = ::wait4(-1, &status, __WALL, options_.cpu_time ? &ru : nullptr);
    if (tid < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: nothing left to wait for
    }
    handle(tid, status, ru);
  }
  return TraceEnd::kAllExited;
}

void PtraceTracer::handle(pid_t tid, int status, const struct rusage& ru) {
  if (WIFEXITED(status) || WIFSIGNALED(status)) return on_exit(tid, status);
  if (!WIFSTOPPED(status)) return;
  auto it = tracees_.find(tid);
  // A new thread or child can report its first stop before its parent's event.
  Tracee& t = it != tracees_.end() ? it->second : add_tracee(tid, 0);
  int sig = WSTOPSIG(status);
  int event = status >> 16;
  if (sig == kSyscallStop) {
    on_syscall_stop(t, ru);
    ::ptrace(PTRACE_SYSCALL, tid, nullptr, nullptr);
    return;
  }
  if (event == PTRACE_EVENT_STOP) {
    if (is_stop_signal(sig)) {
      // A group stop (the process was stopped by a signal): it stays
      // stopped, as without us, but we keep hearing of it (PTRACE_LISTEN).
      if (!t.group_stopped) {
        SignalEvent e;
        e.tid = tid;
        e.signo = sig;
        e.stopped = true;
        e.time_ns = clock_ns(CLOCK_MONOTONIC);
        e.wall_ns = clock_ns(CLOCK_REALTIME);
        if (!t.quiet) sink_.signal(e);
      }
      t.group_stopped = true;
      ::ptrace(PTRACE_LISTEN, tid, nullptr, nullptr);
      return;
    }
    t.group_stopped = false;
    ::ptrace(PTRACE_SYSCALL, tid, nullptr, nullptr);
    return;
  }
  if (event) {
    on_event(t, event);
    ::ptrace(PTRACE_SYSCALL, tid, nullptr, nullptr);
    return;
  }
  // A signal about to be delivered: shown, then delivered as it would have been.
  siginfo_t si{};
  bool have_info = ::ptrace(PTRACE_GETSIGINFO, tid, nullptr, &si) == 0;
  if (!t.quiet) {
    SignalEvent e;
    e.tid = tid;
    e.signo = sig;
    e.siginfo = have_info ? siginfo_text(si) : "";
    e.time_ns = clock_ns(CLOCK_MONOTONIC);
    e.wall_ns = clock_ns(CLOCK_REALTIME);
    sink_.signal(e);
  }
  ::ptrace(PTRACE_SYSCALL, tid, nullptr, reinterpret_cast<void*>(static_cast<intptr_t>(sig)));
}

void PtraceTracer::on_syscall_stop(Tracee& t, const struct rusage& ru) {
  __ptrace_syscall_info info{};
  if (::ptrace(PTRACE_GET_SYSCALL_INFO, t.tid, reinterpret_cast<void*>(sizeof info), &info) <= 0)
    return;
  if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
    t.in_call = true;
    t.nr = static_cast<int64_t>(info.entry.nr);
    // A started command shows from its execve on, as under strace.
    if (t.quiet && t.nr == 59) t.quiet = false;
    t.reported = !t.quiet && (!options_.traced || options_.traced(t.nr));
    if (!t.reported) return;
    CallEntry e;
    e.call.tid = t.tid;
    e.call.nr = t.nr;
    for (int i = 0; i < 6; ++i) e.call.args[static_cast<size_t>(i)] = info.entry.args[i];
    e.tgid = t.tgid;
    e.time_ns = clock_ns(CLOCK_MONOTONIC);
    e.wall_ns = clock_ns(CLOCK_REALTIME);
    if (options_.cpu_time) t.stime_ns = timeval_ns(ru.ru_stime);
    if (options_.python) {
      pid_t tid = t.tid;
      auto fs_base = [tid]() -> uint64_t {
        user_regs_struct regs{};
        return ::ptrace(PTRACE_GETREGS, tid, nullptr, &regs) == 0 ? regs.fs_base : 0;
      };
      auto stack = options_.python->stack(t.tgid, t.tid, fs_base);
      if (stack)
        e.python = std::move(*stack);
      else if (stack.error().kind != ErrorKind::kNotFound)  // not Python: nothing to say
        e.python_error = stack.error().message;
    }
    if (options_.native) {
      auto stack = options_.native->stack(t.tgid, t.tid);
      if (stack)
        e.native = std::move(*stack);
      else
        e.native_error = stack.error().message;
    }
    sink_.enter(e, memory(t.tgid));
    return;
  }
  if (info.op != PTRACE_SYSCALL_INFO_EXIT || !t.in_call) return;
  t.in_call = false;
  if (!t.reported) return;
  CallExit x;
  x.ret = info.exit.rval;
  x.time_ns = clock_ns(CLOCK_MONOTONIC);
  if (options_.cpu_time) {
    uint64_t now = timeval_ns(ru.ru_stime);
    x.cpu_ns = now >= t.stime_ns ? now - t.stime_ns : 0;
  }
  sink_.leave(t.tid, x, memory(t.tgid));
}

void PtraceTracer::on_event(Tracee& t, int event) {
  unsigned long msg = 0;
  ::ptrace(PTRACE_GETEVENTMSG, t.tid, nullptr, &msg);
  pid_t other = static_cast<pid_t>(msg);
  if (event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) {
    if (other > 0 && !tracees_.count(other)) {
      pid_t tgid = event == PTRACE_EVENT_CLONE ? tgid_of(other) : other;
      Tracee& c = add_tracee(other, tgid);
      c.quiet = t.quiet;
    }
    return;
  }
  if (event == PTRACE_EVENT_EXEC) {
    // A thread other than the leader exec'd: it takes the leader's tid and
    // the other threads are gone (the kernel reports no exit for them).
    pid_t tgid = t.tgid;
    for (auto it = tracees_.begin(); it != tracees_.end();) {
      if (it->second.tgid == tgid && it->first != t.tid && it->first != other)
        it = tracees_.erase(it);
      else
        ++it;
    }
    if (other > 0 && other != t.tid) {
      Tracee moved = t;
      tracees_.erase(t.tid);
      moved.tid = other;
      tracees_[other] = moved;
    }
    memory_.erase(tgid);
    if (options_.python) options_.python->forget(tgid);
    if (options_.native) options_.native->forget(tgid);
    // A privileged corostack stops watching a process that exec'd into a
    // program its caller may not trace (a setuid binary): detached at the
    // exec stop, before the new program runs one instruction.
    if (auto allowed = check_may_inspect(tgid); !allowed) {
      pid_t now = other > 0 ? other : t.tid;
      sink_.note(allowed.error().message + "; detached");
      ::ptrace(PTRACE_DETACH, now, nullptr, nullptr);
      tracees_.erase(now);
    }
  }
}

void PtraceTracer::on_exit(pid_t tid, int status) {
  auto it = tracees_.find(tid);
  if (it == tracees_.end()) return;
  bool quiet = it->second.quiet;
  pid_t tgid = it->second.tgid;
  tracees_.erase(it);
  if (tid == command_pid_) command_status_ = status;
  if (tid == tgid) {
    memory_.erase(tgid);
    if (options_.python) options_.python->forget(tgid);
    if (options_.native) options_.native->forget(tgid);
  }
  if (quiet) return sink_.threads_traced(tracees_.size());
  ExitEvent e;
  e.tid = tid;
  e.killed = WIFSIGNALED(status);
  e.code = e.killed ? 0 : WEXITSTATUS(status);
  e.signo = e.killed ? WTERMSIG(status) : 0;
  e.core_dumped = e.killed && WCOREDUMP(status);
  e.time_ns = clock_ns(CLOCK_MONOTONIC);
  e.wall_ns = clock_ns(CLOCK_REALTIME);
  sink_.exited(e);
  sink_.threads_traced(tracees_.size());
}

void PtraceTracer::detach_all(int kill_signal) {
  if (detached_) return;
  detached_ = true;
  // Started commands die as strace's do: with the signal that stopped us.
  if (kill_signal) {
    for (auto& [tid, t] : tracees_)
      if (t.started || t.tgid == command_pid_) ::kill(t.tgid, kill_signal);
  }
  for (auto& [tid, t] : tracees_) ::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr);
  uint64_t until = clock_ns(CLOCK_MONOTONIC) + kDetachDeadlineNs;
  while (!tracees_.empty() && clock_ns(CLOCK_MONOTONIC) < until) {
    int status = 0;
    pid_t tid = ::waitpid(-1, &status, __WALL | WNOHANG);
    if (tid < 0) break;
    if (tid == 0) {
      ::usleep(1000);
      continue;
    }
    if (tid == command_pid_ && (WIFEXITED(status) || WIFSIGNALED(status))) command_status_ = status;
    auto it = tracees_.find(tid);
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      if (it != tracees_.end()) tracees_.erase(it);
      continue;
    }
    if (!WIFSTOPPED(status)) continue;
    int sig = WSTOPSIG(status);
    int event = status >> 16;
    if (event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) {
      // A thread born while we let go: it is ours until detached too.
      unsigned long msg = 0;
      if (::ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &msg) == 0 && msg) {
        Tracee& c = tracees_[static_cast<pid_t>(msg)];
        c.tid = static_cast<pid_t>(msg);
      }
    }
    // A signal caught on its way to the thread is handed on with the detach.
    int deliver = (sig != kSyscallStop && event == 0) ? sig : 0;
    ::ptrace(PTRACE_DETACH, tid, nullptr, reinterpret_cast<void*>(static_cast<intptr_t>(deliver)));
    if (it != tracees_.end())
      tracees_.erase(it);
    else
      tracees_.erase(tid);
  }
  // Threads that never stopped (uninterruptible sleep) are detached by the
  // kernel when we exit; nothing of ours keeps them.
  tracees_.clear();
}

}  // namespace corostack::trace
