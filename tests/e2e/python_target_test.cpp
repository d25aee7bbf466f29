// The Python target (tests/targets/python/py_threads.py) under every Python
// interpreter found: the truth it writes must be self-consistent and match
// what the kernel shows, and gdb and the kernel must be able to write cores
// of it, before that truth is used to judge corostack's Python stacks. These
// pass without corostack.
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "gdb.hpp"
#include "native_target.hpp"
#include "python_blocked.hpp"
#include "python_interpreters.hpp"
#include "python_truth.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

constexpr const char* kPyThreadsScript = PY_THREADS_SCRIPT;

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// {marker: line} for the lines of the script ending in "# BLOCK:<marker>".
std::map<std::string, int> script_markers() {
  static const std::regex marker(R"(#\s*BLOCK:(\w+)\s*$)");
  std::map<std::string, int> markers;
  std::stringstream lines(slurp(kPyThreadsScript));
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    std::smatch m;
    if (std::regex_search(line, m, marker)) markers[m[1]] = number;
  }
  return markers;
}

struct Expected {
  std::string name;
  std::vector<std::string> chain;      // our functions, innermost first
  std::vector<std::string> qualnames;  // 3.11+: co_qualname of the same frames
};

// The threads py_threads.py starts, with their call chains inside the script.
std::vector<Expected> expected_threads() {
  std::vector<std::string> recurse(5, "recurse");
  std::vector<std::string> recursor = recurse;
  recursor.push_back("recursor_thread");
  return {
      {"MainThread", {"block_main", "main", "<module>"}, {"block_main", "main", "<module>"}},
      {"recursor", recursor, recursor},
      {"generator", {"counting", "generator_thread"}, {"counting", "generator_thread"}},
      {"lambda",
       {"nested_blocker", "<lambda>", "lambda_thread"},
       {"lambda_thread.<locals>.nested_blocker", "lambda_thread.<locals>.<lambda>",
        "lambda_thread"}},
      {"method",
       {"block_here", "prepare", "dispatch", "start_work", "method_thread"},
       {"Worker.block_here", "Worker.prepare", "Worker.dispatch", "Worker.start_work",
        "method_thread"}},
      {"sleeper", {"sleeper_thread"}, {"sleeper_thread"}},
      {"lock_holder", {"lock_holder_thread"}, {"lock_holder_thread"}},
      {"lock_waiter", {"lock_waiter_thread"}, {"lock_waiter_thread"}},
      {"spinner", {"spinner_thread"}, {"spinner_thread"}},
  };
}

// Locals of the sleeper's frame whose repr does not depend on the process.
std::map<std::string, std::string> expected_sleeper_locals(int major) {
  bool py2 = major == 2;
  return {
      {"nothing", "None"},
      {"yes", "True"},
      {"no", "False"},
      {"zero", "0"},
      {"small", "42"},
      {"negative", "-7"},
      {"big", py2 ? "1267650600228229401496703205376L" : "1267650600228229401496703205376"},
      {"negative_big",
       py2 ? "-1267650600228229401496703205376L" : "-1267650600228229401496703205376"},
      {"ratio", "3.25"},
      {"ascii_text", py2 ? "u'hello'" : "'hello'"},
      {"wide_text", py2 ? "u'h\\xe9llo \\u2713'" : "'h\xc3\xa9llo \xe2\x9c\x93'"},
      {"astral", py2 ? "u'\\U0001f600'" : "'\xf0\x9f\x98\x80'"},
      {"raw", py2 ? "'\\x00\\x01abc\\xff'" : "b'\\x00\\x01abc\\xff'"},
      {"empty_tuple", "()"},
      {"pair", py2 ? "(1, u'two', 3.0)" : "(1, 'two', 3.0)"},
      {"items", "[1, 2, 3, None]"},
      {"members", py2 ? "set([5])" : "{5}"},
  };
}

std::vector<std::string> funcs(const PyTruthThread& t) {
  std::vector<std::string> names;
  for (const PyTruthFrame& f : t.frames) names.push_back(f.func);
  return names;
}

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& n : names) text += (text.empty() ? "" : ", ") + n;
  return text;
}

// The truth agrees with itself, with the script and with the kernel.
void check_truth(const PythonInterpreter& py, const PyTruth& truth, pid_t pid) {
  EXPECT_EQ(truth.pid, pid);
  EXPECT_EQ(truth.python, py.version);
  EXPECT_EQ(truth.executable, py.executable);
  EXPECT_EQ(truth.script, std::filesystem::canonical(kPyThreadsScript).string());
  std::map<std::string, int> markers = script_markers();
  std::vector<Expected> expected = expected_threads();
  ASSERT_EQ(truth.threads.size(), expected.size());

  std::set<pid_t> tids;
  std::set<uint64_t> idents;
  for (const Expected& e : expected) {
    SCOPED_TRACE("thread " + e.name);
    const PyTruthThread* t = truth.thread(e.name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->is_main, e.name == "MainThread");
    EXPECT_EQ(t->spinning, e.name == "spinner");
    EXPECT_TRUE(tids.insert(t->tid).second) << "duplicate tid " << t->tid;
    EXPECT_TRUE(idents.insert(t->ident).second) << "duplicate ident " << t->ident;
    EXPECT_TRUE(
        std::filesystem::exists("/proc/" + std::to_string(pid) + "/task/" + std::to_string(t->tid)))
        << "tid " << t->tid << " is not a thread of " << pid;
    if (t->is_main) {
      EXPECT_EQ(t->tid, pid);
    } else {
      EXPECT_EQ(t->comm, e.name.substr(0, 15));  // set with prctl(PR_SET_NAME)
    }

    // Frames: the expected chain from the innermost frame, in the script,
    // then (for threads other than main) threading.py's bootstrap frames.
    ASSERT_GE(t->frames.size(), e.chain.size()) << join(funcs(*t));
    for (size_t i = 0; i < e.chain.size(); ++i) {
      const PyTruthFrame& f = t->frames[i];
      EXPECT_EQ(f.func, e.chain[i]) << "frame " << i << " of " << join(funcs(*t));
      EXPECT_EQ(f.file, truth.script) << "frame " << i;
      EXPECT_TRUE(f.line && *f.line > 0) << "frame " << i;
      if (py.major > 3 || (py.major == 3 && py.minor >= 11)) {
        EXPECT_EQ(f.qualname.value_or("(null)"), e.qualnames[i]) << "frame " << i;
      } else {
        EXPECT_FALSE(f.qualname) << "frame " << i;
      }
    }
    if (!t->is_main) {
      ASSERT_GT(t->frames.size(), e.chain.size()) << "no threading.py frames";
      const std::string& outer = t->frames.back().file;
      EXPECT_TRUE(outer.size() >= 12 && outer.substr(outer.size() - 12) == "threading.py") << outer;
      EXPECT_NE(t->frames.back().func.find("_bootstrap"), std::string::npos);
    }

    // The innermost frame is on its BLOCK line; the spinner's spin() frame
    // has no line but a range.
    if (t->spinning) {
      ASSERT_TRUE(t->spin_frame);
      EXPECT_EQ(t->spin_frame->func, "spin");
      EXPECT_FALSE(t->spin_frame->line);
      EXPECT_LT(t->spin_frame->first_line, t->spin_frame->last_line);
    } else {
      std::string marker = e.name == "MainThread" ? "main" : e.name;
      ASSERT_TRUE(markers.count(marker));
      EXPECT_EQ(t->frames[0].line.value_or(-1), markers[marker]);
      EXPECT_FALSE(t->locals.empty()) << "no locals";
      EXPECT_EQ(t->locals.size(), t->local_types.size());
    }
  }

  // Locals of various types, with the reprs this interpreter gives.
  const PyTruthThread* sleeper = truth.thread("sleeper");
  for (const auto& [name, repr] : expected_sleeper_locals(py.major)) {
    auto it = sleeper->locals.find(name);
    if (it == sleeper->locals.end()) {
      ADD_FAILURE() << "sleeper has no local " << name;
    } else {
      EXPECT_EQ(it->second, repr) << "sleeper local " << name;
    }
  }
  EXPECT_EQ(sleeper->local_types.at("thing"), "Custom");
  EXPECT_EQ(sleeper->locals.at("thing").rfind("<__main__.Custom object at 0x", 0), 0u);
  EXPECT_EQ(truth.thread("recursor")->locals.at("depth"), "1");
  EXPECT_EQ(truth.thread("lambda")->locals.at("arg"), "7");
  EXPECT_EQ(truth.thread("method")->locals.count("self"), 1u);
}

testing::AssertionResult is_core_file(const std::filesystem::path& core) {
  std::ifstream in(core, std::ios::binary);
  char header[18] = {};
  if (!in.read(header, sizeof header)) return testing::AssertionFailure() << "cannot read " << core;
  if (std::string(header, 4) !=
      "\x7f"
      "ELF")
    return testing::AssertionFailure() << core << " is not ELF";
  if (header[16] != 4 || header[17] != 0)  // e_type ET_CORE, little-endian
    return testing::AssertionFailure() << core << " is not a core file";
  return testing::AssertionSuccess();
}

class PythonTargetTest : public testing::TestWithParam<PythonInterpreter> {
 protected:
  void SetUp() override {
    py_ = GetParam();
    probe_python_interpreter(&py_);
    ASSERT_TRUE(py_.probe_error.empty()) << py_.probe_error;
    std::cout << "python target: " << py_.version << " " << py_.path << " (runtime "
              << py_.runtime_binary << (py_.is_stripped ? ", stripped" : "") << ")\n";
  }

  PythonInterpreter py_;
};

TEST_P(PythonTargetTest, LiveTruthAndGdbCore) {
  TempDir dir;
  TargetProcess target({py_.path, kPyThreadsScript, "{ready_fd}", (dir / "truth").string()});
  // The spinner never sleeps: wait for ready only, then for the others below.
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false, std::chrono::seconds(40)));
  PyTruth truth = read_python_truth(dir / "truth");
  ASSERT_TRUE(wait_blocked(truth, target.pid())) << target.output();
  check_truth(py_, truth, target.pid());
  EXPECT_NE(task_state(target.pid(), truth.thread("spinner")->tid), '?') << "spinner gone";

  std::filesystem::path core = dir / "python.core";
  CommandResult gcore = gdb_gcore(target.pid(), core);
  ASSERT_TRUE(gcore.ok()) << gcore.describe();
  EXPECT_TRUE(is_core_file(core));
  // Resumed after the dump, in the same state.
  EXPECT_TRUE(wait_blocked(truth, target.pid())) << target.output();
}

TEST_P(PythonTargetTest, KernelCoreOnAbort) {
  if (std::string why = kernel_core_unavailable(); !why.empty()) GTEST_SKIP() << why;
  TempDir dir;
  std::filesystem::path cwd = dir / "cwd";
  std::filesystem::create_directory(cwd);
  TargetProcess target(
      {py_.path, kPyThreadsScript, "{ready_fd}", (dir / "truth").string(), "--abort-after-ready"},
      {cwd, /*unlimited_core=*/true});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false, std::chrono::seconds(40)));
  PyTruth truth = read_python_truth(dir / "truth");
  EXPECT_TRUE(truth.abort_after_ready);
  std::map<std::string, int> markers = script_markers();
  const PyTruthThread* main = truth.thread("MainThread");
  ASSERT_NE(main, nullptr);
  ASSERT_FALSE(main->frames.empty());
  EXPECT_EQ(main->frames[0].line.value_or(-1), markers["main_abort"]);

  std::optional<int> status = target.wait_exit(std::chrono::seconds(60));
  ASSERT_TRUE(status) << "target did not exit";
  ASSERT_TRUE(WIFSIGNALED(*status) && WCOREDUMP(*status))
      << "no core dumped (wait status " << *status << ")\n"
      << target.output();
  std::filesystem::path core;
  for (const auto& entry : std::filesystem::directory_iterator(cwd))
    if (entry.is_regular_file()) core = entry.path();
  ASSERT_FALSE(core.empty()) << "no core file in " << cwd;
  EXPECT_TRUE(is_core_file(core));
}

INSTANTIATE_TEST_SUITE_P(Interpreters, PythonTargetTest,
                         testing::ValuesIn(find_python_interpreter_paths()),
                         [](const testing::TestParamInfo<PythonInterpreter>& info) {
                           return info.param.name;
                         });
// No interpreter at all is reported by PythonCoverage below, not by gtest.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PythonTargetTest);

TEST(PythonCoverage, InterpretersFound) {
  std::vector<PythonInterpreter> found = find_python_interpreters();
  std::string coverage = describe_coverage(found);
  std::cout << coverage << std::flush;
  RecordProperty("python_coverage", coverage);
  ASSERT_FALSE(found.empty()) << "no Python interpreter found (~/.pyenv/versions/*/bin/python, "
                                 "/usr/bin/python3.X): the Python e2e tests covered nothing";
  for (const PythonInterpreter& p : found)
    EXPECT_TRUE(p.probe_error.empty()) << p.path << ": " << p.probe_error;
}

}  // namespace
}  // namespace e2e
