// Which thread runs the garbage collector: py_gc.py leaves its "collector"
// thread asleep inside gc.collect() (in a weakref callback the collection
// calls), with two other threads asleep outside it and nobody holding the
// GIL. `dump` must say a collection is running and mark that thread, and
// only it, per thread (pystack's "[Garbage collecting]"), live and from a
// core, with and without --native.
#include <filesystem>
#include <fstream>
#include <iostream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "corostack.hpp"
#include "python_interpreters.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

using nlohmann::json;

constexpr const char* kScript = PY_GC_SCRIPT;

void expect_collector(const JsonRun& run, pid_t collector, const std::vector<pid_t>& others,
                      const std::string& label) {
  ASSERT_FALSE(run.json.is_discarded()) << label << " " << run.parse_error << run.cmd.describe();
  EXPECT_EQ(run.cmd.exit_code, 0) << label << run.cmd.describe();
  EXPECT_EQ(run.json.at("python").at("gc_collecting"), json(true)) << label;
  const json* c = find_thread(run.json, collector);
  ASSERT_NE(c, nullptr) << label;
  EXPECT_EQ(c->at("python").at("gc_collecting"), json(true)) << label << " collector";
  for (pid_t tid : others) {
    const json* t = find_thread(run.json, tid);
    ASSERT_NE(t, nullptr) << label << " " << tid;
    EXPECT_EQ(t->at("python").at("gc_collecting"), json(false)) << label << " thread " << tid;
  }
}

class PythonGcTest : public testing::TestWithParam<PythonInterpreter> {
 protected:
  void SetUp() override {
    py_ = GetParam();
    probe_python_interpreter(&py_);
    ASSERT_TRUE(py_.probe_error.empty()) << py_.probe_error;
    if ((py_.major != 3 || py_.minor < 6) && py_.version.rfind("2.7.", 0) != 0)
      GTEST_SKIP() << "[ SKIPPED LOUDLY ] " << py_.version << " is outside 2.7 and 3.6+";
    if (py_.is_stripped)
      GTEST_SKIP() << "[ SKIPPED LOUDLY ] " << py_.version << " " << py_.runtime_binary
                   << " is stripped: its collector's functions are static, so no native "
                      "frame names the collecting thread (only the GIL holder can be marked)";
  }
  PythonInterpreter py_;
};

TEST_P(PythonGcTest, CollectingThreadIsMarked) {
  TempDir dir;
  TargetProcess target({py_.path, kScript, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready()) << target.output();
  std::ifstream in(dir / "truth");
  json truth = json::parse(in);
  pid_t collector = truth.at("collector");
  std::vector<pid_t> others = truth.at("others");
  std::string pid = std::to_string(target.pid());
  std::string label = py_.version;

  expect_collector(run_corostack_json({"dump", "-p", pid, "--json"}), collector, others,
                   label + " live");
  expect_collector(run_corostack_json({"dump", "-p", pid, "--json", "--native"}), collector, others,
                   label + " live --native");
  // Without --native the frames unwound to find the collector are not shown.
  JsonRun plain = run_corostack_json({"dump", "-p", pid, "--json"});
  ASSERT_FALSE(plain.json.is_discarded());
  if (const json* c = find_thread(plain.json, collector)) {
    for (const json& f : c->at("frames")) EXPECT_EQ(f.at("kind"), "python") << label;
  }
  CommandResult text = run_corostack({"dump", "-p", pid});
  EXPECT_NE(text.out.find(", collecting garbage)"), std::string::npos) << text.out;

  auto core = dir / "core";
  CommandResult gcore = run_corostack({"gcore", "-p", pid, "-o", core.string()});
  ASSERT_TRUE(gcore.ok()) << gcore.describe();
  expect_collector(run_corostack_json({"dump", "--core", core.string(), "--json"}), collector,
                   others, label + " core");
  if (!HasFailure()) std::cout << "gc " << label << ": collector thread marked, live and core\n";
}

INSTANTIATE_TEST_SUITE_P(Interpreters, PythonGcTest,
                         testing::ValuesIn(find_python_interpreter_paths()),
                         [](const testing::TestParamInfo<PythonInterpreter>& info) {
                           return info.param.name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PythonGcTest);

}  // namespace
}  // namespace e2e
