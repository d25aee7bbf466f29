// Subinterpreters: py_subinterpreters.py runs three interpreters' frames on
// its main thread (main -> A -> B, nested run_string calls) and two on a
// worker thread (main -> C), and records each level's frames from inside its
// interpreter. Every such thread must show all its interpreters' frames in
// the order they run, each marked with its interpreter id: `dump --json`,
// `--native` (which must still merge), text ("In interpreter N:"), a core
// written by `corostack gcore`, and `record` (an "interpreter N" frame where
// the stack passes into another interpreter).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "corostack.hpp"
#include "python_interpreters.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

using nlohmann::json;

constexpr const char* kScript = PY_SUBINTERPRETERS_SCRIPT;
constexpr const char* kAsyncioScript = PY_SUBINTERPRETERS_ASYNCIO_SCRIPT;

struct WantFrame {
  std::string func;
  std::string file;
  int line = 0;
  int64_t interpreter = -1;
};

struct WantThread {
  std::string name;
  pid_t tid = 0;
  std::vector<WantFrame> frames;  // innermost first
};

std::vector<WantThread> read_truth(const std::filesystem::path& path) {
  std::ifstream in(path);
  json j = json::parse(in);
  std::vector<WantThread> out;
  for (const json& t : j.at("threads")) {
    WantThread w{t.at("name"), t.at("tid"), {}};
    for (const json& f : t.at("frames"))
      w.frames.push_back({f.at("func"), f.at("file"), f.at("line"), f.at("interpreter")});
    out.push_back(std::move(w));
  }
  return out;
}

std::string describe(const std::vector<json>& frames) {
  std::ostringstream ss;
  for (const json& f : frames)
    ss << "\n  " << f.value("function", json("?")).dump() << " " << f.value("file", json("?"))
       << ":" << f.value("line", json(0)).dump() << " interp "
       << f.value("interpreter", json(nullptr)).dump();
  return ss.str();
}

// The thread's Python frames match the truth, interpreter by interpreter.
void expect_thread(const json& dump, const WantThread& want, const std::string& label) {
  const json* thread = find_thread(dump, want.tid);
  ASSERT_NE(thread, nullptr) << label << ": no thread " << want.tid;
  std::vector<json> got;
  for (const json& f : thread->at("frames"))
    if (f.at("kind") == "python") got.push_back(f);
  ASSERT_EQ(got.size(), want.frames.size()) << label << " " << want.name << describe(got);
  for (size_t i = 0; i < got.size(); ++i) {
    const WantFrame& w = want.frames[i];
    std::string fn = got[i].at("function").get<std::string>();
    // co_qualname (3.11+) ends with co_name.
    EXPECT_TRUE(fn == w.func || fn.ends_with("." + w.func))
        << label << " " << want.name << " #" << i << " " << fn << " != " << w.func;
    EXPECT_EQ(got[i].at("file"), w.file) << label << " " << want.name << " #" << i;
    EXPECT_EQ(got[i].at("line"), w.line) << label << " " << want.name << " #" << i;
    EXPECT_EQ(got[i].at("interpreter"), w.interpreter) << label << " " << want.name << " #" << i;
  }
  EXPECT_TRUE(thread->at("errors").empty())
      << label << " " << want.name << " " << thread->at("errors").dump();
}

void expect_dump(const JsonRun& run, const std::vector<WantThread>& truth,
                 const std::string& label) {
  ASSERT_FALSE(run.json.is_discarded()) << label << " " << run.parse_error << run.cmd.describe();
  EXPECT_EQ(run.cmd.exit_code, 0) << label << run.cmd.describe();
  std::vector<int64_t> ids = run.json.at("python").at("interpreters");
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<int64_t>{0, 1, 2, 3})) << label;
  for (const WantThread& t : truth) expect_thread(run.json, t, label);
}

class PythonSubinterpretersTest : public testing::TestWithParam<PythonInterpreter> {
 protected:
  void SetUp() override {
    py_ = GetParam();
    probe_python_interpreter(&py_);
    ASSERT_TRUE(py_.probe_error.empty()) << py_.probe_error;
    if (py_.major != 3 || py_.minor < 8)
      GTEST_SKIP() << "[ SKIPPED LOUDLY ] " << py_.version
                   << ": no subinterpreter module before 3.8";
    if (py_.minor < 10)
      GTEST_SKIP() << "[ SKIPPED LOUDLY ] " << py_.version
                   << ": before 3.10 a thread state keeps no address on its thread's C stack, "
                      "and run_string from another thread runs on the state of the thread "
                      "that created the interpreter (CPython gh-109860): such frames are "
                      "shown on that thread (docs/python-layouts.md)";
  }
  PythonInterpreter py_;
};

TEST_P(PythonSubinterpretersTest, EveryInterpretersFramesInOrder) {
  TempDir dir;
  TargetProcess target({py_.path, kScript, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready()) << target.output();
  std::vector<WantThread> truth = read_truth(dir / "truth");
  ASSERT_EQ(truth.size(), 2u);
  ASSERT_EQ(truth[0].frames.front().interpreter, 2);
  std::string pid = std::to_string(target.pid());
  std::string label = py_.version;

  expect_dump(run_corostack_json({"dump", "-p", pid, "--json"}), truth, label + " live");
  expect_dump(run_corostack_json({"dump", "-p", pid, "--json", "--native"}), truth,
              label + " live --native");

  CommandResult text = run_corostack({"dump", "-p", pid});
  EXPECT_EQ(text.exit_code, 0) << text.describe();
  for (const char* marker :
       {"In interpreter 0:", "In interpreter 1:", "In interpreter 2:", "In interpreter 3:"})
    EXPECT_NE(text.out.find(marker), std::string::npos) << marker << "\n" << text.out;

  auto core = dir / "core";
  CommandResult gcore = run_corostack({"gcore", "-p", pid, "-o", core.string()});
  ASSERT_TRUE(gcore.ok()) << gcore.describe();
  expect_dump(run_corostack_json({"dump", "--core", core.string(), "--json"}), truth,
              label + " core");
  expect_dump(run_corostack_json({"dump", "--core", core.string(), "--json", "--native"}), truth,
              label + " core --native");

  // record: the main thread's stack passes through interpreters 0, 1 and 2.
  auto folded = dir / "profile.folded";
  CommandResult rec = run_corostack(
      {"record", "-p", pid, "--idle", "-d", "0.3", "-f", "folded", "-o", folded.string()});
  ASSERT_TRUE(rec.ok()) << rec.describe();
  std::ifstream in(folded);
  std::string line;
  bool main_seen = false;
  while (std::getline(in, line)) {
    if (line.find("leaf_level") == std::string::npos ||
        line.find("main_level") == std::string::npos)
      continue;
    main_seen = true;
    size_t i0 = line.find("interpreter 0;"), i1 = line.find("interpreter 1;"),
           i2 = line.find("interpreter 2;");
    EXPECT_TRUE(i0 < i1 && i1 < i2 && i2 < line.find("leaf_level")) << line;
  }
  EXPECT_TRUE(main_seen) << "no sample of the main thread's nested stack";
  if (!HasFailure())
    std::cout << "subinterpreters " << label << ": main thread 3 interpreters, worker 2: live, "
              << "--native, core, record agree with the truth\n";
}

// `tasks`: each interpreter's asyncio tasks, with their thread and (3.12+,
// where each interpreter has its own registry) their interpreter.
void expect_tasks(const JsonRun& run, const json& truth, bool know_interpreter,
                  const std::string& label) {
  ASSERT_FALSE(run.json.is_discarded()) << label << " " << run.parse_error << run.cmd.describe();
  EXPECT_EQ(run.cmd.exit_code, 0) << label << run.cmd.describe();
  for (const json& want : truth.at("tasks")) {
    const json* got = nullptr;
    for (const json& t : run.json.at("tasks"))
      if (t.at("name") == want.at("name")) got = &t;
    if (!got) {
      ADD_FAILURE() << label << ": no task " << want.at("name");
      continue;
    }
    EXPECT_EQ(got->at("thread").at("tid"), want.at("tid")) << label << " " << want.at("name");
    if (know_interpreter)
      EXPECT_EQ(got->at("interpreter"), want.at("interpreter")) << label << " " << want.at("name");
    else
      EXPECT_EQ(got->at("interpreter"), json(nullptr)) << label << " " << want.at("name");
  }
}

TEST_P(PythonSubinterpretersTest, EachInterpretersAsyncioTasks) {
  TempDir dir;
  TargetProcess target({py_.path, kAsyncioScript, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready()) << target.output();
  std::ifstream in(dir / "truth");
  json truth = json::parse(in);
  ASSERT_EQ(truth.at("tasks").size(), 8u);
  std::string pid = std::to_string(target.pid());
  bool know = py_.minor >= 12;
  expect_tasks(run_corostack_json({"tasks", "-p", pid, "--json"}), truth, know,
               py_.version + " live");
  auto core = dir / "core";
  CommandResult gcore = run_corostack({"gcore", "-p", pid, "-o", core.string()});
  ASSERT_TRUE(gcore.ok()) << gcore.describe();
  expect_tasks(run_corostack_json({"tasks", "--core", core.string(), "--json"}), truth, know,
               py_.version + " core");
  // --tree says whose each task is too (3.12+, where it is known).
  CommandResult tree = run_corostack({"tasks", "--tree", "--core", core.string()});
  EXPECT_EQ(tree.exit_code, 0) << tree.describe();
  for (const json& want : truth.at("tasks")) {
    std::string label = "(T) " + want.at("name").get<std::string>() + " [interpreter " +
                        (know ? std::to_string(want.at("interpreter").get<int>()) : "?") + "]";
    EXPECT_NE(tree.out.find(label), std::string::npos) << label << "\n" << tree.out;
  }
  if (!HasFailure())
    std::cout << "subinterpreter asyncio " << py_.version << ": 8 tasks of 2 interpreters"
              << (know ? " with their interpreter" : " (interpreter unknown: shared registry)")
              << ", live and core\n";
}

INSTANTIATE_TEST_SUITE_P(Interpreters, PythonSubinterpretersTest,
                         testing::ValuesIn(find_python_interpreter_paths()),
                         [](const testing::TestParamInfo<PythonInterpreter>& info) {
                           return info.param.name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PythonSubinterpretersTest);

}  // namespace
}  // namespace e2e
