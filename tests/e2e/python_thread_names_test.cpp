// read_thread_names (src/python/thread_names.hpp) on every CPython 2.7 and 3.6+
// found, in-process: py_threads.py records each thread's threading name and
// ident; the test reads sys.modules["threading"]._active from the live
// process (running: fine here, the names do not change) and from a core
// written by `corostack gcore`, and every truth thread must map to its name.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <gtest/gtest.h>

#include "corostack.hpp"
#include "python/python_locator.hpp"
#include "python/remote_object.hpp"
#include "python/thread_names.hpp"
#include "python_blocked.hpp"
#include "python_core.hpp"
#include "python_interpreters.hpp"
#include "python_truth.hpp"
#include "target/core_file.hpp"
#include "target/live_process.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

constexpr const char* kPyThreadsScript = PY_THREADS_SCRIPT;

// Every truth thread's ident maps to its name; returns how many did.
int check_names(const std::unordered_map<uint64_t, std::string>& names, const PyTruth& truth,
                const std::string& label) {
  int ok = 0;
  for (const PyTruthThread& t : truth.threads) {
    auto it = names.find(t.ident);
    if (it == names.end()) {
      ADD_FAILURE() << label << ": no name for thread " << t.name << " (ident " << t.ident << ")";
    } else if (it->second != t.name) {
      ADD_FAILURE() << label << ": thread ident " << t.ident << " named " << it->second << ", want "
                    << t.name;
    } else {
      ++ok;
    }
  }
  return ok;
}

std::string describe(const std::unordered_map<uint64_t, std::string>& names) {
  std::ostringstream ss;
  for (const auto& [ident, name] : names) ss << " " << name;
  return ss.str();
}

class PythonThreadNamesTest : public testing::TestWithParam<PythonInterpreter> {
 protected:
  void SetUp() override {
    py_ = GetParam();
    probe_python_interpreter(&py_);
    ASSERT_TRUE(py_.probe_error.empty()) << py_.probe_error;
    if ((py_.major != 3 || py_.minor < 6) && py_.version.rfind("2.7.", 0) != 0)
      GTEST_SKIP() << "[ SKIPPED LOUDLY ] " << py_.version
                   << " is outside 2.7 and 3.6+: Python thread names are not read";
  }
  PythonInterpreter py_;
};

TEST_P(PythonThreadNamesTest, LiveAndCore) {
  TempDir dir;
  TargetProcess target({py_.path, kPyThreadsScript, "{ready_fd}", (dir / "truth").string()});
  // The spinner never sleeps: wait for ready only, then for the others.
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false, std::chrono::seconds(40)));
  PyTruth truth = read_python_truth(dir / "truth");
  ASSERT_TRUE(wait_blocked(truth, target.pid())) << target.output();
  ASSERT_EQ(truth.threads.size(), 9u);
  std::string label = truth.python + " " + py_.path;

  auto live = corostack::LiveProcess::open(target.pid());
  ASSERT_TRUE(live) << live.error().message;
  auto found = corostack::python::locate_python(**live);
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_NE(found->layout, nullptr);
  corostack::python::RemoteObjects live_ro(**live, *found->layout);
  auto t0 = std::chrono::steady_clock::now();
  auto live_names = corostack::python::read_thread_names(live_ro, found->interp_head);
  auto t1 = std::chrono::steady_clock::now();
  int live_ok = check_names(live_names, truth, label + " live");
  EXPECT_EQ(live_names.size(), truth.threads.size()) << describe(live_names);

  PythonCore pc;
  ASSERT_TRUE(write_python_core(target.pid(), dir / "python.core", &pc));
  corostack::python::RemoteObjects core_ro(*pc.core, *pc.runtime.layout);
  auto core_names = corostack::python::read_thread_names(core_ro, pc.runtime.interp_head);
  int core_ok = check_names(core_names, truth, label + " core");
  EXPECT_EQ(core_names.size(), truth.threads.size()) << describe(core_names);
  std::cout << "thread names " << label << ": live " << live_ok << "/" << truth.threads.size()
            << " [" << std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()
            << " us], core " << core_ok << "/" << truth.threads.size() << "\n";
}

INSTANTIATE_TEST_SUITE_P(Interpreters, PythonThreadNamesTest,
                         testing::ValuesIn(find_python_interpreter_paths()),
                         [](const testing::TestParamInfo<PythonInterpreter>& info) {
                           return info.param.name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PythonThreadNamesTest);

}  // namespace
}  // namespace e2e
