// `corostack doctor` on asyncio services (tests/targets/python/py_blocked_loop.py):
// a loop blocked by a task in time.sleep or in a blocking socket.recv, with
// five tasks ready behind it, is a finding naming the task, its line, the
// blocking call and the ready queue; a loop idle in its selector is not.
// Every CPython 3.8+ found, live and on a core written by `corostack gcore`.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "corostack.hpp"
#include "doctor_support.hpp"
#include "python_interpreters.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

constexpr const char* kScript = PY_BLOCKED_LOOP_SCRIPT;

struct Case {
  PythonInterpreter py;
  std::string mode;
  bool core = false;
};

class DoctorEventLoopTest : public testing::TestWithParam<Case> {};

TEST_P(DoctorEventLoopTest, BlockedLoopIsFoundIdleLoopIsNot) {
  Case c = GetParam();
  SKIP_UNLESS_ASYNCIO(c.py);
  std::cout << "doctor event loop: " << c.py.version << " " << c.py.path << "\n";
  TempDir dir;
  auto truth_path = dir / "truth";
  TargetProcess target({c.py.path, kScript, "{ready_fd}", truth_path.string(), c.mode});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/true)) << target.output();
  nlohmann::json truth = nlohmann::json::parse(std::ifstream(truth_path));

  JsonRun run;
  ASSERT_TRUE(run_doctor_json(target.pid(), c.core, dir.path(), &run));
  const auto& findings = run.json["findings"];
  if (c.mode == "idle") {
    EXPECT_EQ(run.cmd.exit_code, 0) << run.json.dump(2);
    EXPECT_TRUE(findings.empty()) << findings.dump(2);
    bool idle_seen = false;
    for (const auto& h : run.json["healthy"])
      idle_seen |= h.get<std::string>().find("1 idle in the selector") != std::string::npos;
    EXPECT_TRUE(idle_seen) << run.json["healthy"].dump(2);
    return;
  }
  EXPECT_EQ(run.cmd.exit_code, 3) << run.cmd.describe();
  const nlohmann::json* loop = nullptr;
  for (const auto& f : findings)
    if (f["kind"] == "blocked-event-loop") loop = &f;
  ASSERT_NE(loop, nullptr) << findings.dump(2);
  EXPECT_EQ((*loop)["threads"][0].get<pid_t>(), truth["loop_tid"].get<pid_t>());
  std::string summary = (*loop)["summary"];
  std::string where =
      "slow_handler at py_blocked_loop.py:" + std::to_string(truth["line"].get<int>());
  EXPECT_NE(summary.find("task \"slowpoke\" (" + where + ")"), std::string::npos) << summary;
  EXPECT_NE(summary.find(c.mode == "sleep" ? "time.sleep" : "a blocking read: recv"),
            std::string::npos)
      << summary;
  // Live, the socket is named as strace -yy names it (a socketpair: UNIX-STREAM).
  if (c.mode == "recv" && !c.core) {
    EXPECT_NE(summary.find("<UNIX-STREAM:["), std::string::npos) << summary;
  }
  EXPECT_NE(summary.find(std::to_string(truth["ready"].get<int>()) + " callbacks ready"),
            std::string::npos)
      << summary;
}

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const PythonInterpreter& py : find_python_interpreter_paths())
    for (const char* mode : {"sleep", "recv", "idle"})
      for (bool core : {false, true}) out.push_back({py, mode, core});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Interpreters, DoctorEventLoopTest, testing::ValuesIn(cases()),
                         [](const testing::TestParamInfo<Case>& info) {
                           return info.param.py.name + "_" + info.param.mode +
                                  (info.param.core ? "_core" : "_live");
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DoctorEventLoopTest);

}  // namespace
}  // namespace e2e
