// `corostack doctor --watch` on a thread in uninterruptible sleep
// (tests/targets/vfork_stuck.cpp: a vfork() parent waits in D for a child
// that never execs): the thread the target names is "stuck ... in
// uninterruptible vfork()", live; its main thread, idle in a read, is not.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "corostack.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

using namespace std::chrono_literals;

char thread_state(pid_t pid, pid_t tid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() ? stat[close + 2] : '?';
}

TEST(DoctorStuck, ThreadInUninterruptibleSleepIsStuck) {
  TempDir dir;
  auto truth_path = dir / "truth";
  TargetProcess target({VFORK_STUCK, "{ready_fd}", truth_path.string()});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false)) << target.output();
  std::map<std::string, pid_t> truth;
  {
    std::ifstream in(truth_path);
    std::string key;
    pid_t value;
    while (in >> key >> value) truth[key] = value;
  }
  const pid_t stuck = truth["stuck"];
  ASSERT_GT(stuck, 0);
  // The child says ready just before the parent thread blocks: wait for D.
  for (auto until = std::chrono::steady_clock::now() + 10s;
       thread_state(target.pid(), stuck) != 'D' && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(5ms);
  ASSERT_EQ(thread_state(target.pid(), stuck), 'D') << "the vfork parent is not in D";

  JsonRun run =
      run_corostack_json({"doctor", "--json", "--watch", "1", "-p", std::to_string(target.pid())});
  ASSERT_FALSE(run.json.is_discarded()) << run.parse_error << run.cmd.describe();
  EXPECT_EQ(run.cmd.exit_code, 3) << run.cmd.describe();
  const nlohmann::json* found = nullptr;
  for (const auto& f : run.json["findings"]) {
    if (f["kind"] != "stuck-thread") continue;
    EXPECT_EQ(f["threads"][0].get<pid_t>(), stuck) << f.dump(2);
    if (f["threads"][0].get<pid_t>() == stuck) found = &f;
  }
  ASSERT_NE(found, nullptr) << run.json.dump(2);
  std::string summary = (*found)["summary"];
  EXPECT_NE(summary.find("in uninterruptible vfork()"), std::string::npos) << summary;
  EXPECT_EQ(thread_state(target.pid(), stuck), 'D') << "doctor woke the stuck thread";
}

}  // namespace
}  // namespace e2e
