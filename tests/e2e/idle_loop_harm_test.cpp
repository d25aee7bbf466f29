// Invariant 7 measured by the kernel: an idle asyncio service (every task
// waits forever, the loop thread sleeps in epoll_wait with no timeout) must
// not be woken by corostack. CPython retries an interrupted epoll_wait
// silently (PEP 475), so the target cannot tell; the kernel's context-switch
// counters of the loop thread can: they stay the same while corostack leaves
// the thread alone (20 dumps, `tasks`, 3 s of `record` at 100 Hz; 1000 dumps
// and 30 s in the soak run), and grow when something interrupts it. The
// control run (`dump --stop-all`, which interrupts every thread as gdb,
// pystack and py-spy do) must move them, or the test could not fail, and
// must read the same stacks as the gentle dump.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "corostack.hpp"
#include "process_state.hpp"
#include "python_interpreters.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

constexpr const char* kIdleLoopScript = PY_IDLE_LOOP_SCRIPT;

class IdleLoopHarmTest : public testing::TestWithParam<PythonInterpreter> {
 protected:
  void SetUp() override {
    py_ = GetParam();
    probe_python_interpreter(&py_);
    ASSERT_TRUE(py_.probe_error.empty()) << py_.probe_error;
    if (py_.major < 3 || (py_.major == 3 && py_.minor < 8))
      GTEST_SKIP() << "SKIPPED LOUDLY: Python " << py_.version
                   << ": corostack reads asyncio from 3.8 on";
    std::cout << "idle loop: " << py_.version << " " << py_.path << "\n";
  }
  PythonInterpreter py_;
};

TEST_P(IdleLoopHarmTest, CorostackNeverWakesTheLoopThread) {
  TempDir dir;
  std::filesystem::path truth_path = dir / "truth";
  TargetProcess target({py_.path, kIdleLoopScript, "{ready_fd}", truth_path.string()});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/true)) << target.output();
  nlohmann::json truth = nlohmann::json::parse(std::ifstream(truth_path));
  pid_t pid = target.pid();
  pid_t loop_tid = truth.at("loop_tid");
  std::string p = std::to_string(pid);

  long before = context_switches(pid, loop_tid);
  ASSERT_GE(before, 0);
  const bool soak = std::getenv("COROSTACK_SOAK") != nullptr;
  const int dumps = soak ? 1000 : 20;
  for (int i = 0; i < dumps; ++i) {
    CommandResult r = run_corostack({"dump", "-p", p});
    ASSERT_EQ(r.exit_code, 0) << "dump " << i << ": " << r.describe();
  }
  JsonRun gentle = run_corostack_json({"dump", "-p", p, "--json"});
  ASSERT_FALSE(gentle.json.is_discarded()) << gentle.cmd.describe();
  EXPECT_EQ(gentle.json.at("pause_ns"), 0) << "every thread sleeps: nothing should be stopped";
  JsonRun tasks = run_corostack_json({"tasks", "-p", p, "--json"});
  ASSERT_FALSE(tasks.json.is_discarded()) << tasks.cmd.describe();
  EXPECT_EQ(tasks.cmd.exit_code, 0) << tasks.cmd.describe();
  size_t idle_tasks = 0;
  for (const auto& t : tasks.json.at("tasks"))
    idle_tasks += t.at("name").get<std::string>().rfind("idle_", 0) == 0;
  EXPECT_EQ(idle_tasks, truth.at("tasks").size()) << tasks.cmd.out;
  long after = context_switches(pid, loop_tid);
  EXPECT_EQ(after, before) << dumps << " dumps and a tasks run woke the idle loop thread";

  // The sampler: `record` at 100 Hz for 3 s (30 s in the soak run), idle
  // samples kept so the profile shows where the loop sleeps.
  int seconds = soak ? 30 : 3;
  std::filesystem::path folded = dir / "idle.folded";
  CommandResult rec = run_corostack({"record", "-p", p, "-r", "100", "-d", std::to_string(seconds),
                                     "--idle", "-f", "folded", "-o", folded.string()});
  EXPECT_EQ(rec.exit_code, 0) << rec.describe();
  std::ifstream in(folded);
  std::string line;
  long samples = 0, in_epoll = 0;
  while (std::getline(in, line)) {
    auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    long n = std::stol(line.substr(space + 1));
    samples += n;
    if (line.find("epoll_wait") != std::string::npos) in_epoll += n;
  }
  EXPECT_GE(samples, 100L * seconds / 4) << "too few samples: " << rec.err;
  EXPECT_EQ(in_epoll, samples) << "the idle loop thread sleeps in epoll_wait in every sample";
  long after_record = context_switches(pid, loop_tid);
  EXPECT_EQ(after_record, after) << seconds << " s of record at 100 Hz woke the idle loop thread "
                                 << (after_record - after) << " times";
  after = after_record;

  // The control: interrupting every thread wakes it. What it reads is what
  // the gentle dump read before all that sampling.
  JsonRun all = run_corostack_json({"dump", "--stop-all", "-p", p, "--json"});
  ASSERT_FALSE(all.json.is_discarded()) << all.cmd.describe();
  EXPECT_EQ(all.cmd.exit_code, 0) << all.cmd.describe();
  ASSERT_TRUE(target.wait_all_sleeping(std::chrono::seconds(10)));
  long control = context_switches(pid, loop_tid);
  EXPECT_GT(control, after) << "--stop-all did not wake the loop thread: the test cannot fail";
  const auto& a = gentle.json.at("threads");
  const auto& b = all.json.at("threads");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE("thread " + a[i].at("tid").dump());
    EXPECT_FALSE(a[i].at("frames").empty());
    EXPECT_EQ(a[i].at("frames"), b[i].at("frames"));
  }
}

INSTANTIATE_TEST_SUITE_P(Interpreters, IdleLoopHarmTest,
                         testing::ValuesIn(find_python_interpreter_paths()),
                         [](const testing::TestParamInfo<PythonInterpreter>& info) {
                           return info.param.name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(IdleLoopHarmTest);

}  // namespace
}  // namespace e2e
