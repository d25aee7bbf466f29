// corostack's Python stacks against the truth py_threads.py writes about
// itself, under every interpreter found, live and on a core of the same
// process (corostack's own gcore): every thread, every frame's function, file
// and line; locals of the innermost frame in the script; the GIL holder; the
// thread started by C code shown with native frames; and --native keeping
// every Python frame, in order, inside a merged native stack.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "corostack.hpp"
#include "python_blocked.hpp"
#include "python_interpreters.hpp"
#include "python_truth.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

using nlohmann::json;
constexpr const char* kPyThreadsScript = PY_THREADS_SCRIPT;

bool has_qualname(const PythonInterpreter& py) {
  return py.major > 3 || (py.major == 3 && py.minor >= 11);
}

std::vector<json> python_frames(const json& thread) {
  std::vector<json> frames;
  for (const json& f : thread.at("frames"))
    if (f.at("kind") == "python") frames.push_back(f);
  return frames;
}

std::string describe(const std::vector<json>& frames) {
  std::string s;
  for (const json& f : frames) {
    s += "\n  " + f.value("function", std::string("?")) + " " + f.value("file", std::string("?")) +
         ":" +
         (f.at("line").is_null() ? std::string("null") : std::to_string(f.at("line").get<int>()));
  }
  return s;
}

// The name the dump must show for a truth frame.
std::string expected_function(const PythonInterpreter& py, const PyTruthFrame& f) {
  return has_qualname(py) ? f.qualname.value_or(f.func) : f.func;
}

void expect_frame(const PythonInterpreter& py, const json& got, const PyTruthFrame& want,
                  size_t index) {
  SCOPED_TRACE("frame " + std::to_string(index));
  EXPECT_EQ(got.at("function"), expected_function(py, want));
  EXPECT_EQ(got.at("file"), want.co_filename);
  if (want.line) {
    EXPECT_EQ(got.at("line"), *want.line);
  } else {  // the spinner's spin(): any line of its body
    ASSERT_TRUE(got.at("line").is_number());
    int line = got.at("line");
    EXPECT_GE(line, want.first_line);
    EXPECT_LE(line, want.last_line);
  }
}

// Locals whose repr does not depend on addresses must equal Python's repr;
// the others (`<__main__.Custom object at 0x...>`, a lock) must name the type.
void expect_locals(const json& frame, const PyTruthThread& t) {
  SCOPED_TRACE("locals of " + t.name);
  std::map<std::string, std::string> got;
  for (const json& l : frame.value("locals", json::array())) got[l.at("name")] = l.at("repr");
  static const std::vector<std::string> exact = {"NoneType", "bool",  "int",  "float", "str",
                                                 "bytes",    "tuple", "list", "dict",  "set",
                                                 "unicode",  "long"};  // the last two: Python 2
  for (const auto& [name, repr] : t.locals) {
    SCOPED_TRACE("local " + name);
    auto it = got.find(name);
    if (it == got.end()) {
      ADD_FAILURE() << "missing";
      continue;
    }
    const std::string& type = t.local_types.at(name);
    if (std::find(exact.begin(), exact.end(), type) != exact.end()) {
      EXPECT_EQ(it->second, repr);
    } else {
      // tp_name may be dotted (_thread.lock): its last part is type(x).__name__.
      EXPECT_EQ(it->second.rfind("<", 0), 0u) << it->second;
      std::string shown = it->second.substr(1, it->second.find(" at 0x") - 1);
      shown = shown.substr(shown.rfind('.') + 1);
      EXPECT_EQ(shown, type) << it->second;
    }
  }
  EXPECT_EQ(got.size(), t.locals.size());
}

// nonblocking: `dump --nonblocking`: nothing is stopped, the running spinner
// is read while it runs (marked may_be_torn), every blocked thread as usual.
void check_dump(const PythonInterpreter& py, const PyTruth& truth, const JsonRun& run,
                bool nonblocking = false) {
  ASSERT_FALSE(run.json.is_discarded()) << run.parse_error << "\n" << run.cmd.describe();
  EXPECT_EQ(run.cmd.exit_code, 0) << run.cmd.describe();
  const json& dump = run.json;
  ASSERT_TRUE(dump.at("python").is_object()) << "no Python found:\n" << run.cmd.err;
  EXPECT_EQ(dump.at("python").at("version"), truth.python);
  EXPECT_TRUE(dump.at("python").at("errors").empty()) << dump.at("python").dump();
  // 3.13+ carries _Py_DebugOffsets, which must be used and agree with our table.
  EXPECT_EQ(dump.at("python").at("layout"), py.minor >= 13 ? "_Py_DebugOffsets" : "table");
  EXPECT_TRUE(dump.at("warnings").empty()) << dump.at("warnings").dump();
  bool gil_known = dump.at("python").at("gil_known");
  EXPECT_TRUE(gil_known) << "2.7 and 3.6: _PyThreadState_Current; 3.7+: the GIL state";
  // A free-threaded build runs without a GIL (PYTHON_GIL unset): nobody holds it.
  EXPECT_EQ(dump.at("python").value("free_threaded", false), py.free_threaded);
  bool no_gil = py.free_threaded;
  if (no_gil) {
    EXPECT_EQ(dump.at("python").at("gil_enabled"), json(false));
  }

  for (const PyTruthThread& t : truth.threads) {
    SCOPED_TRACE("thread " + t.name + " tid " + std::to_string(t.tid));
    const json* thread = find_thread(dump, t.tid);
    ASSERT_NE(thread, nullptr);
    ASSERT_TRUE(thread->at("python").is_object()) << "no Python state";
    EXPECT_EQ(thread->at("python").at("thread_id"), t.ident);
    EXPECT_EQ(thread->at("name"), t.name) << "threading's name";
    EXPECT_TRUE(thread->at("errors").empty()) << thread->at("errors").dump();
    if (nonblocking) {
      EXPECT_EQ(thread->at("may_be_torn").get<bool>(), t.spinning)
          << "only the running spinner is read while it runs";
    } else {
      EXPECT_FALSE(thread->at("may_be_torn").get<bool>());
    }
    std::vector<json> frames = python_frames(*thread);
    EXPECT_EQ(frames.size(), thread->at("frames").size()) << "native frames without --native";
    std::vector<PyTruthFrame> want = t.frames;
    if (t.spin_frame) want.insert(want.begin(), *t.spin_frame);
    ASSERT_EQ(frames.size(), want.size()) << describe(frames);
    for (size_t i = 0; i < want.size(); ++i) expect_frame(py, frames[i], want[i], i);
    // The locals the truth took are those of the innermost frame in the script.
    for (size_t i = 0; i < want.size(); ++i) {
      if (want[i].file != truth.script || !want[i].line) continue;
      expect_locals(frames[i], t);
      break;
    }
    if (gil_known && py.major == 2) {
      // 2.7's GIL is dropped and taken again every 100 ticks even when nobody
      // waits for it (Python/ceval.c), so the spinner may be caught between.
      if (!t.spinning) {
        EXPECT_FALSE(thread->at("python").at("owns_gil").get<bool>())
            << "only the spinner wants the GIL";
      }
    } else if (gil_known) {
      EXPECT_EQ(thread->at("python").at("owns_gil").get<bool>(), t.spinning && !no_gil)
          << "only the spinner wants the GIL";
    }
  }
  for (pid_t tid : truth.native_threads) {
    SCOPED_TRACE("C thread " + std::to_string(tid));
    const json* thread = find_thread(dump, tid);
    ASSERT_NE(thread, nullptr);
    EXPECT_TRUE(thread->at("python").is_null());
    std::vector<std::string> names = frame_functions(*thread);
    EXPECT_NE(std::find(names.begin(), names.end(), "sleep"), names.end())
        << "native frames: " << thread->at("frames").dump();
  }
}

// --native: per Python thread, the Python frames appear in the same order as
// without it, between native frames, and the merge succeeded.
void check_native(const PyTruth& truth, const JsonRun& plain, const JsonRun& native) {
  ASSERT_FALSE(native.json.is_discarded()) << native.parse_error << native.cmd.describe();
  EXPECT_EQ(native.cmd.exit_code, 0) << native.cmd.describe();
  for (const PyTruthThread& t : truth.threads) {
    SCOPED_TRACE("thread " + t.name);
    const json* a = find_thread(plain.json, t.tid);
    const json* b = find_thread(native.json, t.tid);
    ASSERT_TRUE(a && b);
    EXPECT_TRUE(b->at("errors").empty()) << b->at("errors").dump();
    std::vector<json> pa = python_frames(*a), pb = python_frames(*b);
    ASSERT_EQ(pa.size(), pb.size()) << describe(pb);
    for (size_t i = 0; i < pa.size(); ++i) {
      EXPECT_EQ(pa[i].at("function"), pb[i].at("function"));
      if (!t.spinning) {
        EXPECT_EQ(pa[i].at("line"), pb[i].at("line"));
      }
    }
    ASSERT_FALSE(b->at("frames").empty());
    // Native code runs on top: the innermost frame is native, the outermost too
    // (the thread's start routine).
    EXPECT_EQ(b->at("frames").back().at("kind"), "native");
    if (!t.spinning) {
      EXPECT_EQ(b->at("frames").front().at("kind"), "native");
    }
    std::vector<std::string> names = frame_functions(*b);
    EXPECT_EQ(std::count(names.begin(), names.end(), "_PyEval_EvalFrameDefault"), 0)
        << "an eval-loop frame was not replaced";
  }
}

class PythonStacksTest : public testing::TestWithParam<PythonInterpreter> {
 protected:
  void SetUp() override {
    py_ = GetParam();
    probe_python_interpreter(&py_);
    ASSERT_TRUE(py_.probe_error.empty()) << py_.probe_error;
    if (py_.major < 2 || (py_.major == 2 && py_.minor != 7))
      GTEST_SKIP() << "SKIPPED LOUDLY: Python " << py_.version << " unsupported";
    std::cout << "python stacks: " << py_.version << " " << py_.path
              << (py_.is_stripped ? " (stripped)" : "") << "\n";
  }
  PythonInterpreter py_;
};

// Whether the dump shows the spinner holding the GIL. It is the only thread
// that wants it, but a GIL build hands it over whenever another thread asks
// (one returning from a blocking call in the interpreter, however briefly),
// and a read can land in that hand-over: such a read is taken again (up to 5
// times), and the check below still needs one read in which it holds it.
bool spinner_holds_gil(const PyTruth& truth, const JsonRun& run) {
  if (run.json.is_discarded()) return true;  // check_dump reports it
  for (const PyTruthThread& t : truth.threads) {
    if (!t.spinning) continue;
    const json* thread = find_thread(run.json, t.tid);
    if (!thread || !thread->contains("python") || !thread->at("python").is_object()) return true;
    return thread->at("python").value("owns_gil", false);
  }
  return true;
}

TEST_P(PythonStacksTest, LiveAndCoreMatchTruth) {
  TempDir dir;
  TargetProcess target({py_.path, kPyThreadsScript, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false, std::chrono::seconds(40)));
  PyTruth truth = read_python_truth(dir / "truth");
  ASSERT_TRUE(wait_blocked(truth, target.pid())) << target.output();
  std::string pid = std::to_string(target.pid());

  bool gil_build = !py_.free_threaded && py_.major == 3;
  JsonRun live = run_corostack_json({"dump", "-p", pid, "--json", "--locals"});
  for (int retry = 0; gil_build && retry < 5 && !spinner_holds_gil(truth, live); ++retry)
    live = run_corostack_json({"dump", "-p", pid, "--json", "--locals"});
  {
    SCOPED_TRACE("live");
    check_dump(py_, truth, live);
  }
  JsonRun nonblocking =
      run_corostack_json({"dump", "-p", pid, "--json", "--locals", "--nonblocking"});
  {
    SCOPED_TRACE("live --nonblocking");
    check_dump(py_, truth, nonblocking, /*nonblocking=*/true);
    EXPECT_EQ(nonblocking.json.value("pause_ns", -1), 0) << "--nonblocking stopped something";
  }
  JsonRun live_native = run_corostack_json({"dump", "-p", pid, "--json", "--native"});
  {
    SCOPED_TRACE("live --native");
    check_native(truth, live, live_native);
  }

  std::filesystem::path core = dir / "py.core";
  JsonRun from_core;
  for (int attempt = 0; attempt < 6; ++attempt) {
    CommandResult gcore = run_corostack({"gcore", "-p", pid, "-o", core.string()});
    ASSERT_TRUE(gcore.ok()) << gcore.describe();
    ASSERT_TRUE(wait_blocked(truth, target.pid())) << "not resumed after gcore";
    from_core = run_corostack_json({"dump", "--core", core.string(), "--json", "--locals"});
    if (!gil_build || spinner_holds_gil(truth, from_core)) break;
  }
  {
    SCOPED_TRACE("core");
    check_dump(py_, truth, from_core);
  }
  JsonRun core_native = run_corostack_json({"dump", "--core", core.string(), "--json", "--native"});
  {
    SCOPED_TRACE("core --native");
    check_native(truth, from_core, core_native);
  }
}

INSTANTIATE_TEST_SUITE_P(Interpreters, PythonStacksTest,
                         testing::ValuesIn(find_python_interpreter_paths()),
                         [](const testing::TestParamInfo<PythonInterpreter>& info) {
                           return info.param.name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PythonStacksTest);

TEST(PythonStacksCoverage, CoveredSomeInterpreter) {
  std::vector<PythonInterpreter> found = find_python_interpreters();
  std::cout << describe_coverage(found) << std::flush;
  size_t python3 = 0;
  for (const PythonInterpreter& p : found) python3 += p.major == 3 && p.probe_error.empty();
  ASSERT_GT(python3, 0u) << "no Python 3 interpreter found: the Python stack tests covered nothing";
}

}  // namespace
}  // namespace e2e
