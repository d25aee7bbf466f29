// corostack trace against real targets, with strace as the oracle:
// py_syscalls.py makes a known sequence of calls after a go byte and writes
// which Python line made each. The same target traced by strace and by
// corostack must give the same decoded lines and -c counts; --py must put
// every call under the line the target recorded, on every interpreter; and
// whatever ends the trace, the target runs on untraced.
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "corostack.hpp"
#include "paths.hpp"
#include "python_interpreters.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"
#include "trace/bpf_tracer.hpp"
#include "trace_support.hpp"

namespace e2e {
namespace {

using nlohmann::json;

constexpr const char* kScript = PY_SYSCALLS_SCRIPT;
constexpr const char* kCalls = "trace=getppid,openat,open,write,read,sendto,recvfrom,kill";

struct Traced {
  CommandResult tracer;
  std::optional<int> target_status;
  json truth;
};

// Starts py_syscalls.py under `py`, traces it with `tracer_args` (its pid
// appended after -p), sends go, waits for both to end. With `before_exit`,
// the target lingers once its truth is written until before_exit returns.
Traced trace_target(const std::string& py, const TempDir& dir, std::vector<std::string> tracer_args,
                    const std::function<void()>& before_exit = {}) {
  Traced out;
  auto go = dir / "go";
  auto linger = dir / "linger";
  std::filesystem::remove(go);
  std::filesystem::remove(linger);
  std::filesystem::remove(dir / "truth");
  std::vector<std::string> target_argv = {py, kScript, "{ready_fd}", (dir / "truth").string(),
                                          go.string()};
  if (before_exit) target_argv.push_back(linger.string());
  TargetProcess target(target_argv);
  EXPECT_TRUE(target.wait_ready());
  tracer_args.push_back("-p");
  tracer_args.push_back(std::to_string(target.pid()));
  // Both tracers say "Process N attached" on stderr once they trace it
  // (the in-kernel backend stops nothing, so TracerPid cannot tell).
  auto err = dir / "tracer.err";
  std::filesystem::remove(err);
  std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$@\" 2>\"$0\"", err.string()};
  argv.insert(argv.end(), tracer_args.begin(), tracer_args.end());
  Background tracer(argv);
  EXPECT_TRUE(wait_for_text(err, "attached")) << "the tracer never attached";
  EXPECT_TRUE(send_go(go));
  if (before_exit) {
    EXPECT_TRUE(wait_for_text(dir / "truth", "calls", std::chrono::seconds(60)));
    before_exit();
    EXPECT_TRUE(send_go(linger));
  }
  out.target_status = target.wait_exit(std::chrono::seconds(60));
  out.tracer = tracer.wait();
  std::ifstream in(dir / "truth");
  out.truth = json::parse(in, nullptr, false);
  return out;
}

std::vector<json> json_lines(const std::filesystem::path& file) {
  std::vector<json> out;
  for (const std::string& l : read_lines(file)) {
    json j = json::parse(l, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

// Every call the target recorded, in order, is a traced call of the same
// thread whose innermost Python frame is the recorded line and function.
void expect_attributed(const json& truth, const std::vector<json>& records,
                       const std::string& label) {
  size_t from = 0;
  for (const json& call : truth.at("calls")) {
    std::string want = call.at("syscall");
    int line = call.at("line");
    bool found = false;
    for (size_t i = from; i < records.size(); ++i) {
      const json& r = records[i];
      if (!r.contains("syscall") || r.at("tid") != call.at("tid")) continue;
      std::string got = r.at("syscall");
      if (got != want && !(want == "openat" && got == "open")) continue;
      if (!r.contains("python") || r.at("python").empty()) continue;
      const json& top = r.at("python")[0];
      if (top.at("line") != line || top.at("function") != call.at("function")) continue;
      found = true;
      from = i + 1;
      break;
    }
    if (!found) {
      std::string seen;  // what was traced on that thread, for the diagnosis
      for (const json& r : records)
        if (r.contains("syscall") && r.at("tid") == call.at("tid"))
          seen += "\n  " + r.dump().substr(0, 600);
      ADD_FAILURE() << label << ": no " << want << " from " << call.at("function") << " line "
                    << line << " on thread " << call.at("tid") << "; traced on it:" << seen;
    }
  }
}

// Whether the in-kernel backend loads here with --py (its frame walk needs
// bpf_loop, Linux 5.17+); why not in *why.
bool bpf_backend_works(std::string* why) {
  static const CommandResult probe = run_command(
      {COROSTACK_BIN, "trace", "--backend", "bpf", "--py", "-c", "-w", "--", "/bin/true"});
  *why = probe.err;
  return probe.exit_code == 0;
}

// --py on both backends: ptrace reads the stack while the thread is stopped
// at entry, the in-kernel program walks the frames itself.
class TracePythonTest : public testing::TestWithParam<std::tuple<PythonInterpreter, std::string>> {
 protected:
  void SetUp() override {
    py_ = std::get<0>(GetParam());
    backend_ = std::get<1>(GetParam());
    probe_python_interpreter(&py_);
    ASSERT_TRUE(py_.probe_error.empty()) << py_.probe_error;
    std::string why;
    if (backend_ == "bpf" && !bpf_backend_works(&why))
      GTEST_SKIP() << "[ SKIPPED LOUDLY ] in-kernel tracing unavailable here: " << why;
  }
  PythonInterpreter py_;
  std::string backend_;
};

TEST_P(TracePythonTest, EveryCallUnderTheLineThatMadeIt) {
  TempDir dir;
  auto out = dir / "trace.json";
  // The in-kernel backend reads code objects as its records arrive, a moment
  // after each call: the process must still be there. It lingers until the
  // worker's write (its last call on record) is in the output.
  std::function<void()> linger;
  if (backend_ == "bpf")
    linger = [&] { EXPECT_TRUE(wait_for_text(out, "\"worker_body\"", std::chrono::seconds(60))); };
  Traced t = trace_target(py_.path, dir,
                          {COROSTACK_BIN, "trace", "--backend", backend_, "--json", "--py", "-e",
                           kCalls, "-o", out.string()},
                          linger);
  ASSERT_TRUE(t.tracer.ok()) << t.tracer.describe();
  ASSERT_TRUE(t.target_status && WIFEXITED(*t.target_status) && WEXITSTATUS(*t.target_status) == 3);
  ASSERT_FALSE(t.truth.is_discarded());
  auto records = json_lines(out);
  std::string label = py_.version + " (" + backend_ + ")";
  expect_attributed(t.truth, records, label);
  bool exited = false, usr1 = false;
  for (const json& r : records) {
    if (r.contains("exited") && r.at("tid") == t.truth.at("pid")) exited = r.at("exited") == 3;
    if (r.contains("signal") && r.at("signal") == "SIGUSR1") usr1 = true;
  }
  EXPECT_TRUE(exited) << label << ": no exit 3 of the main thread";
  // The in-kernel backend sees no signal deliveries (bpf_source.hpp).
  if (backend_ == "ptrace") {
    EXPECT_TRUE(usr1) << label << ": no SIGUSR1";
  }
  if (!HasFailure())
    std::cout << "trace --py " << label << ": " << t.truth.at("calls").size()
              << " calls on their lines\n";
}

INSTANTIATE_TEST_SUITE_P(
    Interpreters, TracePythonTest,
    testing::Combine(testing::ValuesIn(find_python_interpreter_paths()),
                     testing::Values(std::string("ptrace"), std::string("bpf"))),
    [](const testing::TestParamInfo<std::tuple<PythonInterpreter, std::string>>& info) {
      return std::get<0>(info.param).name + "_" + std::get<1>(info.param);
    });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TracePythonTest);

// The interpreter the strace comparisons run: any Python 3 found.
std::string some_python3() {
  for (PythonInterpreter& p : find_python_interpreters())
    if (p.probe_error.empty() && p.major == 3) return p.path;
  return "";
}

std::vector<std::string> trace_lines(const std::filesystem::path& file, pid_t pid) {
  std::vector<std::string> out;
  for (const std::string& l : read_lines(file)) {
    if (l.rfind("strace: ", 0) == 0 || l.rfind("corostack: ", 0) == 0) continue;
    out.push_back(normalize_trace_line(l, pid));
  }
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += "  " + l + "\n";
  return s;
}

class TraceOracleTest : public testing::Test {
 protected:
  void SetUp() override {
    if (run_command({"strace", "-V"}).exit_code != 0)
      GTEST_SKIP() << "[ SKIPPED LOUDLY ] strace is not installed (the oracle)";
    py_ = some_python3();
    if (py_.empty()) GTEST_SKIP() << "[ SKIPPED LOUDLY ] no Python 3 found";
  }
  // The same options to strace and corostack: lines must agree.
  void compare(const std::vector<std::string>& options) {
    TempDir dir;
    std::vector<std::string> s_args = {"strace", "-f"};
    s_args.insert(s_args.end(), options.begin(), options.end());
    s_args.insert(s_args.end(), {"-o", (dir / "strace.out").string()});
    Traced s = trace_target(py_, dir, s_args);
    ASSERT_TRUE(s.tracer.ok()) << s.tracer.describe();
    std::vector<std::string> c_args = {COROSTACK_BIN, "trace", "--backend", backend_, "-f"};
    c_args.insert(c_args.end(), options.begin(), options.end());
    c_args.insert(c_args.end(), {"-o", (dir / "corostack.out").string()});
    Traced c = trace_target(py_, dir, c_args);
    ASSERT_TRUE(c.tracer.ok()) << c.tracer.describe();
    auto want = trace_lines(dir / "strace.out", s.truth.value("pid", 0));
    auto got = trace_lines(dir / "corostack.out", c.truth.value("pid", 0));
    if (backend_ == "bpf") {
      // The in-kernel backend sees no signal deliveries. Every thread's
      // "+++ exited +++" is checked: the worker's own exit (exit, from
      // cst_exit's in-flight record) as the main thread's exit_group.
      std::erase_if(want, [](const std::string& l) { return l.rfind("--- ", 0) == 0; });
    }
    // Worker lines may interleave differently; compare as sorted lists.
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want) << "strace:\n" << joined(want) << "corostack:\n" << joined(got);
  }
  std::string py_;
  std::string backend_ = "ptrace";
};

TEST_F(TraceOracleTest, DecodedLinesMatchStrace) {
  compare({"-e", kCalls});
}

TEST_F(TraceOracleTest, FdPathsMatchStrace) {
  compare({"-y", "-e", kCalls});
}

TEST_F(TraceOracleTest, SocketEndpointsAndLongStringsMatchStrace) {
  compare({"-yy", "-s", "5", "-e", kCalls});
}

TEST_F(TraceOracleTest, FailedOnlyMatchesStrace) {
  compare({"-Z", "-e", kCalls});
}

TEST_F(TraceOracleTest, SuccessfulOnlyMatchesStrace) {
  compare({"-z", "-e", "trace=openat,open,getppid,kill"});
}

// -c rows: name -> "calls errors".
std::map<std::string, std::string> count_rows(const std::filesystem::path& file) {
  std::map<std::string, std::string> rows;
  for (const std::string& l : read_lines(file)) {
    std::istringstream in(l);
    std::vector<std::string> w;
    for (std::string x; in >> x;) w.push_back(x);
    if (w.size() < 5 || w[0] == "%" || w[0].rfind("---", 0) == 0) continue;
    std::string name = w.back();
    std::string errors = w.size() == 6 ? w[4] : "0";
    rows[name] = w[3] + " " + errors;
  }
  return rows;
}

TEST_F(TraceOracleTest, CountsMatchStrace) {
  TempDir dir;
  Traced s =
      trace_target(py_, dir, {"strace", "-f", "-c", "-e", kCalls, "-o", (dir / "s.out").string()});
  ASSERT_TRUE(s.tracer.ok()) << s.tracer.describe();
  Traced c = trace_target(
      py_, dir, {COROSTACK_BIN, "trace", "-f", "-c", "-e", kCalls, "-o", (dir / "c.out").string()});
  ASSERT_TRUE(c.tracer.ok()) << c.tracer.describe();
  auto want = count_rows(dir / "s.out");
  auto got = count_rows(dir / "c.out");
  EXPECT_FALSE(want.empty());
  EXPECT_EQ(got, want);
}

// The in-kernel backend: the same lines but for signals (it sees none), and
// the same -c counts (counted in the kernel; time is latency, as -w).
class TraceBpfOracleTest : public TraceOracleTest {
 protected:
  void SetUp() override {
    TraceOracleTest::SetUp();
    if (IsSkipped()) return;
    CommandResult probe =
        run_command({COROSTACK_BIN, "trace", "--backend", "bpf", "-c", "-w", "--", "/bin/true"});
    if (probe.exit_code != 0)
      GTEST_SKIP() << "[ SKIPPED LOUDLY ] in-kernel tracing unavailable here: " << probe.err;
    backend_ = "bpf";
  }
};

TEST_F(TraceBpfOracleTest, DecodedLinesMatchStrace) {
  compare({"-e", kCalls});
}

TEST_F(TraceBpfOracleTest, FailedOnlyMatchesStrace) {
  compare({"-Z", "-e", kCalls});
}

TEST_F(TraceBpfOracleTest, CountsInTheKernelMatchStrace) {
  TempDir dir;
  Traced s =
      trace_target(py_, dir, {"strace", "-f", "-c", "-e", kCalls, "-o", (dir / "s.out").string()});
  ASSERT_TRUE(s.tracer.ok()) << s.tracer.describe();
  Traced c = trace_target(py_, dir,
                          {COROSTACK_BIN, "trace", "--backend", "bpf", "-f", "-c", "-w", "-e",
                           kCalls, "-o", (dir / "c.out").string()});
  ASSERT_TRUE(c.tracer.ok()) << c.tracer.describe();
  EXPECT_EQ(count_rows(dir / "c.out"), count_rows(dir / "s.out"));
}

// -c --py: a second table per Python line and call; the target's three
// getppid calls are one row under the line it recorded.
TEST_F(TraceOracleTest, CountsPerPythonLine) {
  TempDir dir;
  Traced c = trace_target(py_, dir,
                          {COROSTACK_BIN, "trace", "-c", "--py", "-e", "trace=getppid,kill", "-o",
                           (dir / "c.out").string()});
  ASSERT_TRUE(c.tracer.ok()) << c.tracer.describe();
  ASSERT_FALSE(c.truth.is_discarded());
  int line = 0;
  for (const json& call : c.truth.at("calls"))
    if (call.at("syscall") == "getppid") line = call.at("line");
  std::string want = "py_syscalls.py:" + std::to_string(line) + " (sequence) getppid";
  bool found = false;
  for (const std::string& l : read_lines(dir / "c.out")) {
    if (l.find(want) == std::string::npos) continue;
    std::istringstream in(l);
    std::vector<std::string> w;
    for (std::string x; in >> x;) w.push_back(x);
    ASSERT_GE(w.size(), 5u) << l;
    EXPECT_EQ(w[3], "3") << l;
    found = true;
  }
  EXPECT_TRUE(found) << "no row '" << want << "' in:\n" << joined(read_lines(dir / "c.out"));
}

TEST(TraceCommandTest, StartedCommandFromItsExecveToItsExitStatus) {
  TempDir dir;
  CommandResult s = run_command({"strace", "-f", "-e", "trace=execve,exit_group", "-o",
                                 (dir / "s.out").string(), "/bin/sh", "-c", "exit 7"});
  CommandResult c =
      run_command({COROSTACK_BIN, "trace", "--backend", "ptrace", "-e", "trace=execve,exit_group",
                   "-o", (dir / "c.out").string(), "--", "/bin/sh", "-c", "exit 7"});
  EXPECT_EQ(c.exit_code, 7) << c.describe();
  EXPECT_EQ(s.exit_code, 7) << s.describe();
  auto want = trace_lines(dir / "s.out", 0);
  auto got = trace_lines(dir / "c.out", 0);
  ASSERT_FALSE(got.empty()) << c.describe();
  EXPECT_EQ(got.front().rfind("execve(\"/bin/sh\", [\"/bin/sh\", \"-c\", \"exit 7\"], 0xADDR", 0),
            0u)
      << got.front();
  EXPECT_EQ(got, want) << "strace:\n" << joined(want) << "corostack:\n" << joined(got);
}

// The in-kernel backend reads execve's arguments at entry, since a
// successful execve replaces the memory they were in: a failed exec of a
// missing path, an argv longer than -s elements, an environment of two.
// The same lines as strace's, and the counts strace prints.
TEST(TraceCommandTest, BpfExecveArgumentsMatchStrace) {
  std::string why;
  if (!corostack::trace::bpf_supported(&why))
    GTEST_SKIP() << "*** eBPF trace backend NOT TESTED on this machine: " << why;
  if (run_command({"strace", "-V"}).exit_code != 0)
    GTEST_SKIP() << "[ SKIPPED LOUDLY ] strace is not installed (the oracle)";
  TempDir dir;
  const std::string script = "/nonexistent/x a b; env -i A=1 B=2 /bin/true $(seq 1 40); exit 0";
  CommandResult s = run_command({"strace", "-f", "-e", "trace=execve", "-o",
                                 (dir / "s.out").string(), "/bin/sh", "-c", script});
  CommandResult c = run_command({COROSTACK_BIN, "trace", "--backend", "bpf", "-e", "trace=execve",
                                 "-o", (dir / "c.out").string(), "--", "/bin/sh", "-c", script});
  ASSERT_EQ(s.exit_code, 0) << s.describe();
  ASSERT_EQ(c.exit_code, 0) << c.describe();
  auto want = trace_lines(dir / "s.out", 0);
  auto got = trace_lines(dir / "c.out", 0);
  // The in-kernel backend sees no signals (SIGCHLD here), by design.
  std::erase_if(want, [](const std::string& l) { return l.rfind("--- SIG", 0) == 0; });
  // Children's lines interleave differently from run to run.
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want) << "strace:\n" << joined(want) << "corostack:\n" << joined(got);
  bool two_vars = false, cut = false, failed = false;
  for (const std::string& l : read_lines(dir / "c.out")) {
    if (l.find("execve(\"/bin/true\"") == std::string::npos) {
      failed |= l.find("execve(\"/nonexistent/x\", [\"/nonexistent/x\", \"a\", \"b\"], 0x") !=
                    std::string::npos &&
                l.find("= -1 ENOENT") != std::string::npos;
      continue;
    }
    two_vars |= l.find("/* 2 vars */") != std::string::npos;
    cut |= l.find("\"31\", ...]") != std::string::npos;
  }
  EXPECT_TRUE(two_vars && cut && failed) << joined(read_lines(dir / "c.out"));
}

TEST(TraceCommandTest, MissingCommandIsAnError) {
  CommandResult c = run_command({COROSTACK_BIN, "trace", "--", "/nonexistent/program"});
  EXPECT_NE(c.exit_code, 0);
  EXPECT_NE(c.err.find("/nonexistent/program"), std::string::npos) << c.err;
}

// -d ends the trace; the target runs on untraced and finishes its work.
class TraceHarmTest : public testing::TestWithParam<std::string> {};

TEST_P(TraceHarmTest, TargetRunsOnUntracedAfterTheTrace) {
  std::string py = some_python3();
  if (py.empty()) GTEST_SKIP() << "[ SKIPPED LOUDLY ] no Python 3 found";
  TempDir dir;
  auto go = dir / "go";
  TargetProcess target({py, kScript, "{ready_fd}", (dir / "truth").string(), go.string()});
  ASSERT_TRUE(target.wait_ready());
  CommandResult c = run_command({COROSTACK_BIN, "trace", "--backend", GetParam(), "-p",
                                 std::to_string(target.pid()), "-d", "0.3"});
  if (GetParam() == "bpf" && c.exit_code == 64)
    GTEST_SKIP() << "[ SKIPPED LOUDLY ] in-kernel tracing unavailable here: " << c.err;
  EXPECT_EQ(c.exit_code, 0) << c.describe();
  EXPECT_EQ(traced_or_stopped(target.pid()), "");
  ASSERT_TRUE(send_go(go));
  auto status = target.wait_exit(std::chrono::seconds(30));
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 3) << target.output();
}

INSTANTIATE_TEST_SUITE_P(Backends, TraceHarmTest, testing::Values("ptrace", "bpf"));

}  // namespace
}  // namespace e2e
