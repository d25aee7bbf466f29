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

testing::AssertionResult wait_blocked(const PyTruth& truth, pid_t pid) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    std::string bad;
    for (const PyTruthThread& t : truth.threads) {
      if (t.spinning) continue;
      char state = task_state(pid, t.tid);
      if (state != 'S') bad += t.name + ":" + state + " ";
    }
    if (bad.empty()) return testing::AssertionSuccess();
    if (std::chrono::steady_clock::now() > deadline)
      return testing::AssertionFailure() << "threads not sleeping: " << bad;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace e2e
