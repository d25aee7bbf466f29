#pragma once
// Stops every thread of a live process with PTRACE_SEIZE + PTRACE_INTERRUPT
// and lets them go again when destroyed. Never SIGSTOP, never PTRACE_ATTACH:
// if corostack dies for any reason, the kernel detaches seized threads and
// they run on; nothing is left in a group stop that we caused.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/result.hpp"

namespace corostack {

struct PausedThread {
  pid_t tid = 0;
  bool stopped = false;    // in a ptrace stop we can read registers from
  int pending_signal = 0;  // signal we intercepted; re-delivered on detach
  std::string error;       // why it is not stopped, when it is not
};

class PauseGuard {
 public:
  // Seizes and interrupts every thread of `pid` but those in `leave_alone`
  // (threads blocked in a system call, read without stopping them),
  // re-listing /proc/PID/task until no new thread appears. Threads that do
  // not stop within `deadline` of the last interrupt of their listing round
  // (e.g. uninterruptible sleep) are reported with stopped == false.
  static Result<std::unique_ptr<PauseGuard>> pause(
      pid_t pid, std::chrono::microseconds deadline,
      const std::unordered_set<pid_t>& leave_alone = {});

  PauseGuard(const PauseGuard&) = delete;
  PauseGuard& operator=(const PauseGuard&) = delete;
  ~PauseGuard();

  // Detaches every thread now. Idempotent; the destructor calls it too.
  void resume();

  pid_t pid() const { return pid_; }
  const std::vector<PausedThread>& threads() const { return threads_; }
  // Nanoseconds from the first PTRACE_INTERRUPT to resume() (or to now).
  uint64_t paused_ns() const;

 private:
  explicit PauseGuard(pid_t pid) : pid_(pid) {}
  Status seize_new_threads(std::vector<size_t>& fresh);
  void wait_for_stops(const std::vector<size_t>& which,
                      std::chrono::steady_clock::time_point until);

  pid_t pid_;
  std::vector<PausedThread> threads_;
  std::unordered_set<pid_t> seen_;  // every tid listed so far, seized or gone
  bool resumed_ = false;
  std::chrono::steady_clock::time_point first_interrupt_{};
  std::chrono::steady_clock::time_point resumed_at_{};
};

// The one-line fix to offer when ptrace or process_vm_readv is refused.
std::string ptrace_permission_help(pid_t pid);

// Fault injection for the safety tests (docs/reliability.md), read once from
// the environment; both sleep at most 10 s and do nothing when unset:
// COROSTACK_TEST_HOLD_PAUSE_US keeps the target stopped that long, so a test
// can kill corostack inside the pause (dump, tasks, coro: the capture;
// gcore: after the memory copy); COROSTACK_TEST_DELAY_ATTACH_US waits that
// long before the first PTRACE_SEIZE, so a test can make the target vanish
// between the pid's validation and the attach.
void hold_pause_for_tests();
void delay_attach_for_tests();

}  // namespace corostack
