#include "python_blocked.hpp"

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace e2e {

char task_state(pid_t pid, pid_t tid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/stat");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string stat = ss.str();
  // The comm may contain ')' itself; the state follows the last one.
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() ? stat[paren + 2] : '?';
}

namespace {

// The system call number a sleeping task is in (/proc/PID/task/TID/syscall), -1 if unknown.
long task_syscall(pid_t pid, pid_t tid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/syscall");
  std::string first;
  if (!(in >> first) || first == "running") return -1;
  try {
    return std::stol(first);
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace

testing::AssertionResult wait_blocked(const PyTruth& truth, pid_t pid) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    std::string bad;
    for (const PyTruthThread& t : truth.threads) {
      if (t.spinning) continue;
      char state = task_state(pid, t.tid);
      if (state != 'S') bad += t.name + ":" + state + " ";
#if defined(__x86_64__)
      // Main signals ready, then blocks in read(): asleep is not enough, it
      // may still be waiting for the GIL on its way there.
      constexpr long kRead = 0, kRestart = 219;
      long nr = task_syscall(pid, t.tid);
      if (t.is_main && !truth.abort_after_ready && nr != kRead && nr != kRestart)
        bad += t.name + ":syscall " + std::to_string(nr) + " ";
#endif
    }
    if (bad.empty()) return testing::AssertionSuccess();
    if (std::chrono::steady_clock::now() > deadline)
      return testing::AssertionFailure() << "threads not sleeping: " << bad;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace e2e
