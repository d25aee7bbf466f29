#include "target/pause_guard.hpp"

#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "target/caller_identity.hpp"
#include "target/proc_fs.hpp"

namespace corostack {
namespace {

using Clock = std::chrono::steady_clock;

// A thread that keeps cloning could keep us re-listing forever; after this
// many rounds we settle for the threads we have.
constexpr int kMaxListingRounds = 64;

// How long resume() keeps waiting for a seized thread that had not stopped yet
// (it must be in a stop before PTRACE_DETACH accepts it).
constexpr auto kLateStopGrace = std::chrono::milliseconds(500);

long test_delay_us(const char* variable) {
  const char* v = trusted_getenv(variable);  // ignored in secure mode
  long us = v ? std::strtol(v, nullptr, 10) : 0L;
  return std::clamp(us, 0L, 10'000'000L);
}

std::string gone_message(pid_t pid) {
  return "process " + std::to_string(pid) + " exited before it could be attached (no such process)";
}

// Whether tid of pid has exited: no /proc entry any more, or a zombie / dead
// state.
bool thread_has_exited(pid_t pid, pid_t tid) {
  auto st = read_proc_stat(pid, tid);
  return !st || st->state == 'Z' || st->state == 'X';
}

}  // namespace

void hold_pause_for_tests() {
  static const long us = test_delay_us("COROSTACK_TEST_HOLD_PAUSE_US");
  if (us > 0) ::usleep(static_cast<useconds_t>(us));
}

void delay_attach_for_tests() {
  static const long us = test_delay_us("COROSTACK_TEST_DELAY_ATTACH_US");
  if (us > 0) ::usleep(static_cast<useconds_t>(us));
}

std::string ptrace_permission_help(pid_t pid) {
  return "permission denied to trace pid " + std::to_string(pid) +
         ": run corostack as the same user as the target or as root, or grant CAP_SYS_PTRACE "
         "(setcap cap_sys_ptrace+ep corostack); check /proc/sys/kernel/yama/ptrace_scope "
         "(0 or 1 with a same-user target); in a container, start it with --cap-add SYS_PTRACE";
}

Result<std::unique_ptr<PauseGuard>> PauseGuard::pause(
    pid_t pid, std::chrono::microseconds deadline, const std::unordered_set<pid_t>& leave_alone) {
  delay_attach_for_tests();
  std::unique_ptr<PauseGuard> guard(new PauseGuard(pid));
  guard->seen_ = leave_alone;  // never seized
  for (int round = 0; round < kMaxListingRounds; ++round) {
    std::vector<size_t> fresh;
    if (auto st = guard->seize_new_threads(fresh); !st) return st.error();
    if (fresh.empty()) break;
    // The deadline counts from the last interrupt of the round, not from the
    // first: seizing 10 000 threads on a busy machine takes longer than the
    // deadline itself, and the last ones seized would get no time to stop.
    guard->wait_for_stops(fresh, Clock::now() + deadline);
  }
  if (guard->threads_.empty() && leave_alone.empty()) {
    auto st = read_proc_stat(pid);
    if (!st) return make_error(ErrorKind::kGone, gone_message(pid));
    if (st->state == 'Z' || st->state == 'X')
      return make_error(ErrorKind::kGone, "process " + std::to_string(pid) +
                                              " exited before it could be attached (it is a "
                                              "zombie now)");
    return make_error(ErrorKind::kGone, "process " + std::to_string(pid) + " has no threads left");
  }
  return guard;
}

Status PauseGuard::seize_new_threads(std::vector<size_t>& fresh) {
  auto tids = list_tasks(pid_);
  if (!tids) {
    if (!threads_.empty()) return ok_status();  // it went away mid-pause; keep what we have
    if (tids.error().kind == ErrorKind::kNotFound)
      return make_error(ErrorKind::kGone, gone_message(pid_));
    return tids.error();
  }
  for (pid_t tid : *tids) {
    if (!seen_.insert(tid).second) continue;  // seized in an earlier round
    if (::ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
      int e = errno;
      if (e == ESRCH) continue;  // exited between listing and seizing
      // A thread that has exited but is not reaped yet (a zombie leader whose
      // process lives on, or the whole process dying) refuses with EPERM: it
      // is gone, not forbidden.
      if ((e == EPERM || e == EACCES) && thread_has_exited(pid_, tid)) continue;
      if (e == EPERM || e == EACCES) {
        return make_error(ErrorKind::kPermission, ptrace_permission_help(pid_));
      }
      return make_error(errno_kind(e),
                        "PTRACE_SEIZE " + std::to_string(tid) + ": " + std::strerror(e));
    }
    PausedThread t;
    t.tid = tid;
    if (first_interrupt_ == Clock::time_point{}) first_interrupt_ = Clock::now();
    if (::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0) {
      t.error = std::string("PTRACE_INTERRUPT: ") + std::strerror(errno);
    }
    threads_.push_back(t);
    fresh.push_back(threads_.size() - 1);
  }
  return ok_status();
}

void PauseGuard::wait_for_stops(const std::vector<size_t>& which, Clock::time_point until) {
  std::vector<size_t> waiting = which;
  int spins = 0;
  while (!waiting.empty()) {
    for (size_t k = 0; k < waiting.size();) {
      PausedThread& t = threads_[waiting[k]];
      int status = 0;
      pid_t r = ::waitpid(t.tid, &status, __WALL | WNOHANG);
      bool done = false;
      if (r == t.tid) {
        if (WIFSTOPPED(status)) {
          t.stopped = true;
          // A signal-delivery stop (no ptrace event) swallowed a signal meant
          // for the target: hand it back on detach.
          if ((status >> 16) == 0 && WSTOPSIG(status) != SIGTRAP)
            t.pending_signal = WSTOPSIG(status);
          done = true;
        } else if (WIFEXITED(status) || WIFSIGNALED(status)) {
          t.error = "exited during the pause";
          done = true;
        }
      } else if (r < 0 && errno != EINTR) {
        t.error = std::string("waitpid: ") + std::strerror(errno);
        done = true;
      }
      if (done) {
        waiting[k] = waiting.back();
        waiting.pop_back();
      } else {
        ++k;
      }
    }
    if (waiting.empty()) break;
    if (Clock::now() >= until) {
      for (size_t i : waiting) threads_[i].error = "did not stop in time (uninterruptible sleep?)";
      break;
    }
    // Stopping needs the target scheduled; yield first, then back off gently.
    if (++spins < 200) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
}

void PauseGuard::resume() {
  if (resumed_) return;
  resumed_ = true;
  resumed_at_ = Clock::now();
  for (PausedThread& t : threads_) {
    if (!t.stopped) continue;
    ::ptrace(PTRACE_DETACH, t.tid, nullptr,
             reinterpret_cast<void*>(static_cast<intptr_t>(t.pending_signal)));
  }
  // A seized thread that never reached a stop still has our interrupt
  // pending; PTRACE_DETACH only works once it stops, so wait a little more.
  auto until = Clock::now() + kLateStopGrace;
  for (PausedThread& t : threads_) {
    if (t.stopped || !t.error.starts_with("did not stop")) continue;
    while (Clock::now() < until) {
      int status = 0;
      pid_t r = ::waitpid(t.tid, &status, __WALL | WNOHANG);
      if (r == t.tid && WIFSTOPPED(status)) {
        int sig = (status >> 16) == 0 && WSTOPSIG(status) != SIGTRAP ? WSTOPSIG(status) : 0;
        ::ptrace(PTRACE_DETACH, t.tid, nullptr,
                 reinterpret_cast<void*>(static_cast<intptr_t>(sig)));
        break;
      }
      if (r != 0) break;  // exited or not ours any more
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    // If it is still in the kernel, our exit detaches it (the kernel releases
    // every tracee of an exiting tracer).
  }
}

PauseGuard::~PauseGuard() {
  resume();
}

uint64_t PauseGuard::paused_ns() const {
  if (first_interrupt_ == Clock::time_point{}) return 0;
  auto end = resumed_ ? resumed_at_ : Clock::now();
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(end - first_interrupt_).count());
}

}  // namespace corostack
