// `corostack doctor` on tests/targets/python/py_asyncio.py, whose truth knows
// two tasks awaiting each other (cycle_a, cycle_b), coroutines created and
// never awaited, and a second loop whose thread a task blocks in
// threading.Event.wait (l2_blocker). Every CPython 3.8+, live and on a core
// written by `corostack gcore`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "asyncio_truth.hpp"
#include "corostack.hpp"
#include "doctor_support.hpp"
#include "python_interpreters.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

class DoctorAsyncioTest : public testing::TestWithParam<DoctorCase> {};

const nlohmann::json* finding(const nlohmann::json& doc, const std::string& kind) {
  for (const auto& f : doc["findings"])
    if (f["kind"] == kind) return &f;
  return nullptr;
}

bool evidence_has(const nlohmann::json& f, const std::string& text) {
  for (const auto& e : f["evidence"])
    if (e.get<std::string>().find(text) != std::string::npos) return true;
  return false;
}

TEST_P(DoctorAsyncioTest, CycleUnawaitedAndBlockedLoop) {
  DoctorCase c = GetParam();
  SKIP_UNLESS_ASYNCIO(c.py);
  TempDir dir;
  TargetProcess target({c.py.path, PY_ASYNCIO_SCRIPT, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/true, std::chrono::seconds(40)))
      << target.output();
  AsyncTruth truth = read_asyncio_truth(dir / "truth");
  JsonRun run;
  ASSERT_TRUE(run_doctor_json(target.pid(), c.core, dir.path(), &run));
  EXPECT_EQ(run.cmd.exit_code, 3) << run.cmd.describe();

  const nlohmann::json* cycle = finding(run.json, "asyncio-await-cycle");
  ASSERT_NE(cycle, nullptr) << run.json.dump(2);
  EXPECT_EQ((*cycle)["severity"], "critical");
  for (const std::string& name : truth.cycles.at(0))
    EXPECT_TRUE(evidence_has(*cycle, "task \"" + name + "\"")) << cycle->dump(2);

  const nlohmann::json* unawaited = finding(run.json, "unawaited-coroutine");
  // Free-threaded builds too: found by scanning their heap (heap_object_scan).
  ASSERT_NE(unawaited, nullptr) << run.json.dump(2);
  for (const AsyncTruthCoroutine& co : truth.unawaited)
    EXPECT_TRUE(evidence_has(*unawaited, co.qualname + " defined at")) << unawaited->dump(2);

  const AsyncTruthThread* loop2 = nullptr;
  for (const AsyncTruthThread& t : truth.threads)
    if (t.loop && *t.loop == "loop2") loop2 = &t;
  ASSERT_NE(loop2, nullptr);
  const nlohmann::json* blocked = finding(run.json, "blocked-event-loop");
  ASSERT_NE(blocked, nullptr) << run.json.dump(2);
  EXPECT_EQ((*blocked)["threads"][0].get<pid_t>(), loop2->tid);
  EXPECT_NE((*blocked)["summary"].get<std::string>().find("task \"l2_blocker\""), std::string::npos)
      << (*blocked)["summary"];
}

INSTANTIATE_TEST_SUITE_P(Interpreters, DoctorAsyncioTest, testing::ValuesIn(doctor_cases()),
                         doctor_case_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DoctorAsyncioTest);

}  // namespace
}  // namespace e2e
