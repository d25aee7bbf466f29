// `doctor --watch` and doctor's resource checks (tests/targets/python/py_watch.py):
// a thread spinning on one line for the whole watch is a finding, with the
// line; the main thread asleep in a read is counted idle, not stuck. A
// process at 60 of 64 descriptors with a zombie child gets both findings.
// The spin runs alone (RUN_SERIAL in e2e.cmake): it measures CPU shares.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "corostack.hpp"
#include "python_interpreters.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

// Waits (10 s at most) until thread `tid` of `pid` sleeps in read(): the
// main thread signals ready just before it blocks there, and a thread merely
// asleep (state S) may still be waiting for the GIL the spinner holds.
bool wait_in_read(pid_t pid, pid_t tid) {
  for (int i = 0; i < 1000; ++i) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/syscall");
    std::string nr;
    if (in >> nr && nr == "0") return true;
    usleep(10000);
  }
  return false;
}

constexpr const char* kScript = PY_WATCH_SCRIPT;

class DoctorWatchTest : public testing::TestWithParam<PythonInterpreter> {};

TEST_P(DoctorWatchTest, SpinningThreadIsFoundIdleOneIsNot) {
  PythonInterpreter py = GetParam();
  probe_python_interpreter(&py);
  ASSERT_TRUE(py.probe_error.empty()) << py.probe_error;
  if (py.major < 3 || (py.major == 3 && py.minor < 8))
    GTEST_SKIP() << "SKIPPED LOUDLY: Python " << py.version
                 << ": threading.get_native_id (the truth's tids) is 3.8+";
  std::cout << "doctor --watch: " << py.version << " " << py.path << "\n";
  TempDir dir;
  auto truth_path = dir / "truth";
  TargetProcess target({py.path, kScript, "{ready_fd}", truth_path.string(), "spin"});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false)) << target.output();
  nlohmann::json truth = nlohmann::json::parse(std::ifstream(truth_path));
  ASSERT_TRUE(wait_in_read(target.pid(), target.pid())) << "main thread never blocked";
  JsonRun run =
      run_corostack_json({"doctor", "--json", "--watch", "1", "-p", std::to_string(target.pid())});
  ASSERT_FALSE(run.json.is_discarded()) << run.parse_error << run.cmd.describe();
  EXPECT_EQ(run.cmd.exit_code, 3) << run.cmd.describe();
  const nlohmann::json* spin = nullptr;
  for (const auto& f : run.json["findings"])
    if (f["kind"] == "spinning-thread") spin = &f;
  ASSERT_NE(spin, nullptr) << run.json.dump(2);
  EXPECT_EQ((*spin)["threads"][0].get<pid_t>(), truth["spinner"].get<pid_t>());
  std::string where = "spin at py_watch.py:" + std::to_string(truth["line"].get<int>());
  EXPECT_NE((*spin)["summary"].get<std::string>().find(where), std::string::npos)
      << (*spin)["summary"];
  EXPECT_EQ(run.json["findings"].size(), 1u) << run.json.dump(2);
  bool idle_counted = false;
  for (const auto& h : run.json["healthy"])
    idle_counted |= h.get<std::string>().find(
                        "1 waited without CPU in the same call (1 in read)") != std::string::npos;
  EXPECT_TRUE(idle_counted) << run.json["healthy"].dump(2);
}

INSTANTIATE_TEST_SUITE_P(Interpreters, DoctorWatchTest,
                         testing::ValuesIn(find_python_interpreter_paths()),
                         [](const testing::TestParamInfo<PythonInterpreter>& info) {
                           return info.param.name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DoctorWatchTest);

// A loop stuck in CPU work is only told from a busy one by two reads.
TEST_P(DoctorWatchTest, LoopBlockedByCpuWork) {
  PythonInterpreter py = GetParam();
  probe_python_interpreter(&py);
  ASSERT_TRUE(py.probe_error.empty()) << py.probe_error;
  if (py.major < 3 || (py.major == 3 && py.minor < 8))
    GTEST_SKIP() << "SKIPPED LOUDLY: Python " << py.version
                 << ": corostack reads asyncio from 3.8 on";
  TempDir dir;
  auto truth_path = dir / "truth";
  TargetProcess target({py.path, PY_BLOCKED_LOOP_SCRIPT, "{ready_fd}", truth_path.string(), "cpu"});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false)) << target.output();
  nlohmann::json truth = nlohmann::json::parse(std::ifstream(truth_path));
  JsonRun run =
      run_corostack_json({"doctor", "--json", "--watch", "1", "-p", std::to_string(target.pid())});
  ASSERT_FALSE(run.json.is_discarded()) << run.parse_error << run.cmd.describe();
  const nlohmann::json* loop = nullptr;
  for (const auto& f : run.json["findings"])
    if (f["kind"] == "blocked-event-loop") loop = &f;
  ASSERT_NE(loop, nullptr) << run.json.dump(2);
  std::string summary = (*loop)["summary"];
  std::string where =
      "slow_handler at py_blocked_loop.py:" + std::to_string(truth["line"].get<int>());
  EXPECT_NE(summary.find("task \"slowpoke\" (" + where + ") running Python at the same line"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("5 callbacks ready"), std::string::npos) << summary;
}

TEST(DoctorResources, DescriptorsNearTheLimitAndAZombie) {
  TempDir dir;
  auto truth_path = dir / "truth";
  TargetProcess target(
      {"/usr/bin/python3", kScript, "{ready_fd}", truth_path.string(), "resources"});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false)) << target.output();
  nlohmann::json truth = nlohmann::json::parse(std::ifstream(truth_path));
  JsonRun run = run_corostack_json({"doctor", "--json", "-p", std::to_string(target.pid())});
  ASSERT_FALSE(run.json.is_discarded()) << run.parse_error << run.cmd.describe();
  EXPECT_EQ(run.cmd.exit_code, 3);
  bool fds = false, zombie = false;
  for (const auto& f : run.json["findings"]) {
    std::string s = f["summary"];
    if (s.find(std::to_string(truth["open_fds"].get<int>()) + " of 64 file descriptors open") !=
        std::string::npos)
      fds = true;
    for (const auto& e : f["evidence"])
      if (e.get<std::string>() == "zombie children: " + std::to_string(truth["zombie"].get<int>()))
        zombie = true;
  }
  EXPECT_TRUE(fds) << run.json.dump(2);
  EXPECT_TRUE(zombie) << run.json.dump(2);
}

}  // namespace
}  // namespace e2e
