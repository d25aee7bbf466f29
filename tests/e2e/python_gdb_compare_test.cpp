// End-to-end: corostack's Python frames against gdb's `py-bt` (CPython's own
// gdb extension, Tools/gdb/libpython.py, installed as pythonX.Y-gdb.py) on the
// same gdb core of tests/targets/python/py_threads.py, for every pyenv CPython
// 3.x that ships that extension.
//
// Per interpreter: start py_threads.py, wait until its threads block, write
// one core with gdb's gcore, then (concurrently) run
//   gdb -batch -nx -iex 'set auto-load python-scripts off'
//       -ex 'source <gdb.py>' -ex 'thread apply all py-bt' EXE CORE
// and `corostack dump --core CORE --json`.
//
// Where the extension is: gdb auto-loads OBJFILE-gdb.py, and CPython's
// `make install` writes it next to the executable as bin/pythonX.Y-gdb.py
// (pyenv, --enable-shared or not; no libpythonX.Y.so*-gdb.py is installed).
// Looked for, in order: RUNTIME-gdb.py (RUNTIME = libpython if loaded, else
// the executable; as given and canonical), bin/pythonX.Y-gdb.py next to
// sys.executable, EXE-gdb.py, /usr/share/gdb/auto-load/<canonical RUNTIME>-gdb.py.
// We `source` it explicitly (auto-load off) rather than widen the safe-path.
//
// Parsing py-bt (format checked on 3.6-3.13, "most recent call first", i.e.
// innermost first like corostack's frames):
//  - "Thread N (Thread 0x... (LWP TID)):" starts a thread (matched by TID);
//  - `  File "FILE", line L, in NAME` is a Python frame: FILE is co_filename,
//    NAME is co_name (never co_qualname), L a number or "?" when gdb could
//    not compute it (3.11's outermost <module> frame);
//  - `  (frame information optimized out)` and
//    `  (unable to read python frame information)` stand for a Python frame
//    gdb could not read: a wildcard matching any one frame;
//  - every other line is ignored: "Traceback (most recent call first):",
//    source text (4-space indent), `  <built-in method sleep of ...>` (C
//    functions), "Waiting for the GIL", "Unable to locate python frame"
//    (threads with no Python frames), gdb's own messages.
//
// A thread AGREES with gdb when its corostack Python frames (kind "python")
// and gdb's frames have the same count and, frame by frame,
//  - function: corostack's name equals NAME, or ends in "." + NAME (3.11+
//    shows co_qualname, e.g. "Worker.block_here" for "block_here");
//  - file: equal (both are co_filename);
//  - line: equal; gdb's "?" matches any line; for the spinner's innermost
//    frame (spin(), always running) both lines must only lie in spin()'s body
//    as the truth gives it.
// When a thread does not agree, the process's own truth (sys._current_frames()
// as py_threads.py wrote it) decides: corostack must then match the truth
// exactly (function = co_qualname on 3.11+, else co_name; file = co_filename;
// line = f_lineno, the spin frame within its range), and the difference is
// reported as a gdb error (known ones: 3.8's py-bt reads negative co_lnotab
// line deltas as unsigned, so <module> shows a line 256*k too far). A thread
// that agrees with neither gdb nor the truth, or has no truth to decide with
// (e.g. a thread started from C), fails the test. Threads gdb lists that
// corostack does not, or the reverse, fail it too.
//
// Skipped, loudly: an interpreter without a pythonX.Y-gdb.py, and one whose
// py-bt does not work at all (the script fails to load, or py-bt prints no
// Python frame for any thread).
#include <algorithm>
#include <filesystem>
#include <future>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "corostack.hpp"
#include "gdb.hpp"
#include "python_blocked.hpp"
#include "python_interpreters.hpp"
#include "python_truth.hpp"
#include "run_command.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kPyThreadsScript = PY_THREADS_SCRIPT;

// --- gdb's py-bt -------------------------------------------------------------

struct PyBtFrame {
  bool readable = true;  // false: "(frame information optimized out)" and the like
  std::string function;  // co_name
  std::string file;      // co_filename
  std::optional<int> line;
};

struct PyBtThread {
  pid_t tid = 0;
  std::vector<PyBtFrame> frames;  // innermost first
};

std::vector<PyBtThread> parse_py_bt(const std::string& text) {
  static const std::regex header(R"(^Thread \d+ \((?:.*\()?LWP (\d+)\).*:\s*$)");
  static const std::regex frame(R"re(^  File "(.*)", line (\d+|\?), in (.*?)\s*$)re");
  static const std::regex unreadable(
      R"(^  \((frame information optimized out|unable to read python frame information)\)\s*$)");
  std::vector<PyBtThread> threads;
  std::stringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, header)) {
      threads.push_back({static_cast<pid_t>(std::stol(m[1])), {}});
    } else if (threads.empty()) {
      continue;
    } else if (std::regex_match(line, m, frame)) {
      PyBtFrame f;
      f.file = m[1];
      if (m[2] != "?") f.line = std::stoi(m[2]);
      f.function = m[3];
      threads.back().frames.push_back(f);
    } else if (std::regex_match(line, unreadable)) {
      threads.back().frames.push_back({false, "", "", std::nullopt});
    }
  }
  return threads;
}

// Where this interpreter's gdb extension is (see the top of this file).
std::optional<fs::path> find_python_gdb_script(const PythonInterpreter& py) {
  std::vector<fs::path> candidates;
  std::error_code ec;
  auto add_with_canonical = [&](const fs::path& binary) {
    if (binary.empty()) return;
    candidates.push_back(binary.string() + "-gdb.py");
    fs::path real = fs::canonical(binary, ec);
    if (!ec) {
      candidates.push_back(real.string() + "-gdb.py");
      candidates.push_back("/usr/share/gdb/auto-load" + real.string() + "-gdb.py");
    }
  };
  add_with_canonical(py.runtime_binary);
  std::string short_version = std::to_string(py.major) + "." + std::to_string(py.minor);
  if (!py.executable.empty())
    candidates.push_back(fs::path(py.executable).parent_path() /
                         ("python" + short_version + "-gdb.py"));
  candidates.push_back(fs::path(py.path).parent_path() / ("python" + short_version + "-gdb.py"));
  add_with_canonical(py.executable);
  for (const fs::path& c : candidates)
    if (fs::is_regular_file(c, ec)) return c;
  return std::nullopt;
}

CommandResult gdb_py_bt(const std::string& exe, const fs::path& core, const fs::path& script) {
  return run_command({"gdb", "-batch", "-nx", "-iex", "set debuginfod enabled off", "-iex",
                      "set auto-load python-scripts off", "-ex", "source " + script.string(), "-ex",
                      "thread apply all py-bt", exe, core.string()},
                     std::chrono::seconds(120));
}

// --- corostack's frames and the truth -------------------------------------------

struct Frame {
  std::string function;
  std::string file;
  std::optional<int> line;
};

std::vector<Frame> corostack_python_frames(const json& thread) {
  std::vector<Frame> frames;
  for (const json& f : thread.at("frames")) {
    if (f.value("kind", "") != "python") continue;
    Frame out;
    out.function = f.at("function").is_string() ? f.at("function").get<std::string>() : "(null)";
    out.file = f.at("file").is_string() ? f.at("file").get<std::string>() : "(null)";
    if (f.at("line").is_number_integer()) out.line = f.at("line").get<int>();
    frames.push_back(out);
  }
  return frames;
}

// What a thread's Python frames must be, from the truth, innermost first.
struct TruthChain {
  std::vector<Frame> frames;  // function as corostack shows it, file = co_filename
  bool spinning = false;      // frames[0] is spin(): line within [spin_first, spin_last]
  int spin_first = 0;
  int spin_last = 0;
  std::string name;  // threading name
};

std::map<pid_t, TruthChain> truth_chains(const PythonInterpreter& py, const PyTruth& truth) {
  bool qualnames = py.major > 3 || (py.major == 3 && py.minor >= 11);
  auto to_frame = [&](const PyTruthFrame& f) {
    return Frame{qualnames ? f.qualname.value_or(f.func) : f.func, f.co_filename, f.line};
  };
  std::map<pid_t, TruthChain> chains;
  for (const PyTruthThread& t : truth.threads) {
    TruthChain chain;
    chain.name = t.name;
    if (t.spinning && t.spin_frame) {
      chain.spinning = true;
      chain.spin_first = t.spin_frame->first_line;
      chain.spin_last = t.spin_frame->last_line;
      chain.frames.push_back(to_frame(*t.spin_frame));
    }
    for (const PyTruthFrame& f : t.frames) chain.frames.push_back(to_frame(f));
    chains[t.tid] = chain;
  }
  return chains;
}

std::string show_line(const std::optional<int>& line) {
  return line ? std::to_string(*line) : std::string("?");
}

std::string describe(const std::vector<Frame>& frames) {
  std::string s;
  for (const Frame& f : frames) s += "\n    " + f.function + " " + f.file + ":" + show_line(f.line);
  return s;
}

std::string describe(const std::vector<PyBtFrame>& frames) {
  std::string s;
  for (const PyBtFrame& f : frames)
    s += f.readable ? "\n    " + f.function + " " + f.file + ":" + show_line(f.line)
                    : "\n    (unreadable frame)";
  return s;
}

bool in_range(const std::optional<int>& line, int first, int last) {
  return line && *line >= first && *line <= last;
}

// Why corostack's frames and gdb's differ, or "" when they agree.
std::string gdb_difference(const std::vector<Frame>& ours, const std::vector<PyBtFrame>& gdb,
                           const TruthChain* truth) {
  if (ours.size() != gdb.size())
    return std::to_string(ours.size()) + " frames, gdb " + std::to_string(gdb.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    const Frame& o = ours[i];
    const PyBtFrame& g = gdb[i];
    std::string at = "frame " + std::to_string(i) + ": ";
    if (!g.readable) continue;
    if (o.function != g.function && !(o.function.size() > g.function.size() &&
                                      o.function.compare(o.function.size() - g.function.size() - 1,
                                                         std::string::npos, "." + g.function) == 0))
      return at + "function " + o.function + ", gdb " + g.function;
    if (o.file != g.file) return at + "file " + o.file + ", gdb " + g.file;
    if (!g.line) continue;
    if (i == 0 && truth && truth->spinning) {
      if (!in_range(o.line, truth->spin_first, truth->spin_last) ||
          !in_range(g.line, truth->spin_first, truth->spin_last))
        return at + "spinning line " + show_line(o.line) + ", gdb " + show_line(g.line) +
               ", body " + std::to_string(truth->spin_first) + "-" +
               std::to_string(truth->spin_last);
    } else if (o.line != g.line) {
      return at + "line " + show_line(o.line) + ", gdb " + show_line(g.line);
    }
  }
  return "";
}

// Why corostack's frames and the truth differ, or "" when they agree.
std::string truth_difference(const std::vector<Frame>& ours, const TruthChain& truth) {
  if (ours.size() != truth.frames.size())
    return std::to_string(ours.size()) + " frames, truth " + std::to_string(truth.frames.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    const Frame& o = ours[i];
    const Frame& t = truth.frames[i];
    std::string at = "frame " + std::to_string(i) + ": ";
    if (o.function != t.function) return at + "function " + o.function + ", truth " + t.function;
    if (o.file != t.file) return at + "file " + o.file + ", truth " + t.file;
    bool line_ok = i == 0 && truth.spinning ? in_range(o.line, truth.spin_first, truth.spin_last)
                                            : o.line == t.line;
    if (!line_ok) return at + "line " + show_line(o.line) + ", truth " + show_line(t.line);
  }
  return "";
}

// The comparison of one dump with gdb's py-bt, per the rules at the top.
struct Comparison {
  int agreed = 0;
  std::vector<std::string> gdb_errors;  // gdb differs, corostack matches the truth
  std::vector<std::string> failures;    // corostack is wrong (or cannot be shown right)
};

Comparison compare(const json& dump, const std::vector<PyBtThread>& gdb_threads,
                   const std::map<pid_t, TruthChain>& truth) {
  Comparison result;
  std::set<pid_t> gdb_tids;
  for (const PyBtThread& g : gdb_threads) {
    gdb_tids.insert(g.tid);
    auto t = truth.find(g.tid);
    const TruthChain* chain = t == truth.end() ? nullptr : &t->second;
    std::string label = "thread " + std::to_string(g.tid) + (chain ? " (" + chain->name + ")" : "");
    const json* thread = find_thread(dump, g.tid);
    if (!thread) {
      result.failures.push_back(label + ": in gdb's core, not in corostack's dump");
      continue;
    }
    std::vector<Frame> ours = corostack_python_frames(*thread);
    std::string vs_gdb = gdb_difference(ours, g.frames, chain);
    if (vs_gdb.empty()) {
      ++result.agreed;
      continue;
    }
    std::string detail = label + ": " + vs_gdb + "\n  corostack:" + describe(ours) +
                         "\n  gdb py-bt:" + describe(g.frames);
    if (!chain) {
      result.failures.push_back(detail + "\n  (no truth for this thread)");
      continue;
    }
    std::string vs_truth = truth_difference(ours, *chain);
    if (vs_truth.empty()) {
      result.gdb_errors.push_back(detail + "\n  truth:" + describe(chain->frames));
    } else {
      result.failures.push_back(detail + "\n  truth:" + describe(chain->frames) +
                                "\n  vs truth: " + vs_truth);
    }
  }
  for (const json& thread : dump.at("threads")) {
    pid_t tid = thread.at("tid").get<pid_t>();
    if (!gdb_tids.count(tid))
      result.failures.push_back("thread " + std::to_string(tid) +
                                ": in corostack's dump, not gdb's");
  }
  return result;
}

size_t readable_frames(const std::vector<PyBtThread>& threads) {
  size_t n = 0;
  for (const PyBtThread& t : threads)
    for (const PyBtFrame& f : t.frames) n += f.readable;
  return n;
}

// --- the rules themselves, on canned output ------------------------------------

const char* const kCannedPyBt = R"(Thread 2 (Thread 0x7f00 (LWP 102)):
Traceback (most recent call first):
  <built-in method sleep of module object at remote 0x7f38280e7420>
  File "/s.py", line 223, in block_here
    time.sleep(SLEEP_SECONDS)  # BLOCK:method
  (frame information optimized out)
  File "/t.py", line ?, in <module>
    (failed to get frame line number)

Thread 1 (Thread 0x7f01 (LWP 101)):
Traceback (most recent call first):
  File "/s.py", line 9, in spin
    counter += 1
  File "/s.py", line 20, in spinner_thread
)";

TEST(PythonGdbComparePyBtRules, ParsesAndJudgesCannedOutput) {
  std::vector<PyBtThread> threads = parse_py_bt(kCannedPyBt);
  ASSERT_EQ(threads.size(), 2u);
  EXPECT_EQ(threads[0].tid, 102);
  ASSERT_EQ(threads[0].frames.size(), 3u);
  EXPECT_EQ(threads[0].frames[0].function, "block_here");
  EXPECT_EQ(threads[0].frames[0].line, 223);
  EXPECT_FALSE(threads[0].frames[1].readable);
  EXPECT_FALSE(threads[0].frames[2].line);
  EXPECT_EQ(readable_frames(threads), 4u);

  std::map<pid_t, TruthChain> truth;
  truth[101] = {
      {{"spin", "/s.py", std::nullopt}, {"spinner_thread", "/s.py", 20}}, true, 8, 10, "spinner"};
  truth[102] = {{{"Worker.block_here", "/s.py", 223}, {"f", "/s.py", 3}, {"<module>", "/t.py", 7}},
                false,
                0,
                0,
                "method"};
  auto dump = [](int method_line, int module_line, int spin_line) {
    std::string text = R"({"threads": [
      {"tid": 101, "frames": [
        {"kind": "python", "function": "spin", "file": "/s.py", "line": SPIN},
        {"kind": "native", "function": "f", "file": null, "line": null},
        {"kind": "python", "function": "spinner_thread", "file": "/s.py", "line": 20}]},
      {"tid": 102, "frames": [
        {"kind": "python", "function": "Worker.block_here", "file": "/s.py", "line": METHOD},
        {"kind": "python", "function": "f", "file": "/s.py", "line": 3},
        {"kind": "python", "function": "<module>", "file": "/t.py", "line": MODULE}]}]})";
    for (auto [key, value] : {std::pair<std::string, int>{"SPIN", spin_line},
                              {"METHOD", method_line},
                              {"MODULE", module_line}})
      text.replace(text.find(key), key.size(), std::to_string(value));
    return json::parse(text);
  };
  // Agrees: qualname vs co_name, wildcard frame, "?" line, spinner line in range.
  Comparison same = compare(dump(223, 7, 10), threads, truth);
  EXPECT_EQ(same.agreed, 2);
  EXPECT_TRUE(same.gdb_errors.empty());
  EXPECT_TRUE(same.failures.empty());
  // A wrong line with gdb and the truth agreeing fails.
  Comparison wrong = compare(dump(224, 7, 9), threads, truth);
  EXPECT_EQ(wrong.failures.size(), 1u);
  // A spinner line outside spin()'s body fails.
  Comparison spin_out = compare(dump(223, 7, 11), threads, truth);
  EXPECT_EQ(spin_out.failures.size(), 1u);
  // gdb wrong where corostack matches the truth: reported, not failed.
  std::vector<PyBtThread> gdb_wrong = threads;
  gdb_wrong[0].frames[0].line = 479;
  Comparison tolerated = compare(dump(223, 7, 10), gdb_wrong, truth);
  EXPECT_EQ(tolerated.gdb_errors.size(), 1u);
  EXPECT_TRUE(tolerated.failures.empty());
}

// --- against gdb -----------------------------------------------------------------

// pyenv interpreters of Python 3 and 2.7, by path alone (cheap, for instantiation).
std::vector<PythonInterpreter> pyenv_python3_paths() {
  std::vector<PythonInterpreter> out;
  for (const PythonInterpreter& p : find_python_interpreter_paths()) {
    std::string version = fs::path(p.path).parent_path().parent_path().filename().string();
    if (p.is_pyenv && (version.rfind("3.", 0) == 0 || version.rfind("2.7.", 0) == 0))
      out.push_back(p);
  }
  return out;
}

class PythonGdbComparePyBtTest : public testing::TestWithParam<PythonInterpreter> {};

TEST_P(PythonGdbComparePyBtTest, SamePythonFramesAsPyBtOnGdbCore) {
  PythonInterpreter py = GetParam();
  probe_python_interpreter(&py);
  ASSERT_TRUE(py.probe_error.empty()) << py.probe_error;
  std::optional<fs::path> script = find_python_gdb_script(py);
  if (!script)
    GTEST_SKIP() << "SKIPPED: CPython " << py.version << " (" << py.path
                 << ") has no pythonX.Y-gdb.py: py-bt cannot be compared";
  std::cout << "py-bt " << py.version << ": " << script->string() << "\n";

  TempDir dir;
  TargetProcess target({py.path, kPyThreadsScript, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false, std::chrono::seconds(40)));
  PyTruth truth = read_python_truth(dir / "truth");
  ASSERT_TRUE(wait_blocked(truth, target.pid())) << target.output();
  fs::path core = dir / "python.core";
  CommandResult gcore = gdb_gcore(target.pid(), core);
  ASSERT_TRUE(gcore.ok()) << gcore.describe();

  // Independent readers of the same core: run them side by side.
  auto gdb_run = std::async(std::launch::async, gdb_py_bt, truth.executable, core, *script);
  JsonRun run = run_corostack_json({"dump", "--core", core.string(), "--json"});
  CommandResult bt = gdb_run.get();

  ASSERT_TRUE(bt.ok()) << bt.describe();
  std::string gdb_text = bt.out + bt.err;
  if (gdb_text.find("Undefined command: \"py-bt\"") != std::string::npos)
    GTEST_SKIP() << "SKIPPED: CPython " << py.version << ": " << script->string()
                 << " did not load in gdb (no py-bt command):\n"
                 << bt.err.substr(0, 4000);
  std::vector<PyBtThread> gdb_threads = parse_py_bt(bt.out);
  ASSERT_FALSE(gdb_threads.empty()) << "no threads in gdb's output:\n" << gdb_text;
  if (readable_frames(gdb_threads) == 0)
    GTEST_SKIP() << "SKIPPED: CPython " << py.version
                 << ": gdb's py-bt shows no Python frame in any thread:\n"
                 << bt.out.substr(0, 4000);

  ASSERT_EQ(run.cmd.exit_code, 0) << run.cmd.describe();
  ASSERT_FALSE(run.json.is_discarded()) << run.parse_error;

  Comparison result = compare(run.json, gdb_threads, truth_chains(py, truth));
  std::cout << "py-bt " << py.version << ": " << result.agreed << "/" << gdb_threads.size()
            << " threads agree with gdb, " << result.gdb_errors.size()
            << " where gdb is wrong (corostack matches the truth), " << result.failures.size()
            << " failing\n";
  for (const std::string& e : result.gdb_errors) std::cout << "gdb py-bt error, " << e << "\n";
  for (const std::string& f : result.failures) ADD_FAILURE() << f;
  EXPECT_GT(result.agreed, 0) << "no thread agrees with gdb's py-bt";
  if (HasFailure()) std::cout << "gdb py-bt output:\n" << bt.out << std::flush;
}

INSTANTIATE_TEST_SUITE_P(Interpreters, PythonGdbComparePyBtTest,
                         testing::ValuesIn(pyenv_python3_paths()),
                         [](const testing::TestParamInfo<PythonInterpreter>& info) {
                           return info.param.name;
                         });
// No interpreter at all is reported by the coverage test below, not by gtest.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PythonGdbComparePyBtTest);

TEST(PythonGdbComparePyBtCoverage, CoveredSomeInterpreter) {
  std::vector<PythonInterpreter> covered;
  std::string without;
  for (PythonInterpreter p : pyenv_python3_paths()) {
    probe_python_interpreter(&p);
    if (!p.probe_error.empty()) continue;
    if (find_python_gdb_script(p)) {
      covered.push_back(p);
    } else {
      without += " " + p.version;
    }
  }
  std::cout << "python py-bt " << describe_coverage(covered);
  if (!without.empty())
    std::cout << "python py-bt: SKIPPED (no pythonX.Y-gdb.py):" << without << "\n";
  std::cout << std::flush;
  ASSERT_FALSE(covered.empty()) << "no pyenv CPython 3.x with a pythonX.Y-gdb.py found: the "
                                   "py-bt comparison covered nothing";
}

}  // namespace
}  // namespace e2e
