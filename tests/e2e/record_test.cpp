// `corostack record` against py_cpu_split.py (a thread splitting its CPU
// time 75/25 between hot() and warm(), a thread that only sleeps, optionally
// an asyncio loop with two busy tasks), under every interpreter found:
// proportions within a tolerance of what the target measured from inside,
// idle threads left out unless --idle, --gil, --threads, --async roots,
// --nonblocking, --native, `-- CMD`, SIGINT and target exit still writing
// the file, --subprocesses; and the target never left stopped or traced.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "corostack.hpp"
#include "paths.hpp"
#include "python_interpreters.hpp"
#include "run_command.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

using nlohmann::json;
constexpr const char* kScript = PY_CPU_SPLIT_SCRIPT;
constexpr const char* kDutyScript = PY_DUTY_THREADS_SCRIPT;
// hot()'s share of hot+warm samples must be within this of the target's own
// measurement (points of percentage).
constexpr double kShareTolerance = 0.12;

using Folded = std::map<std::string, uint64_t>;

Folded read_folded(const std::filesystem::path& p) {
  Folded out;
  std::ifstream f(p);
  std::string line;
  while (std::getline(f, line)) {
    size_t sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    out[line.substr(0, sp)] += std::stoull(line.substr(sp + 1));
  }
  return out;
}

uint64_t count_if(const Folded& f, const std::function<bool(const std::string&)>& pred) {
  uint64_t n = 0;
  for (const auto& [stack, c] : f)
    if (pred(stack)) n += c;
  return n;
}

bool has(const std::string& s, const std::string& sub) {
  return s.find(sub) != std::string::npos;
}

std::string describe(const Folded& f) {
  std::string s;
  size_t n = 0;
  for (const auto& [stack, c] : f) {
    if (n++ > 40) break;
    s += "\n  " + std::to_string(c) + "  " + stack;
  }
  return s;
}

json read_truth(const std::filesystem::path& p) {
  std::ifstream f(p);
  return json::parse(f);
}

pid_t truth_tid(const json& truth, const std::string& name) {
  for (const json& t : truth.at("threads"))
    if (t.at("name") == name) return t.at("tid");
  return 0;
}

// The target is running on: not stopped, not traced.
void expect_not_stopped_or_traced(pid_t pid) {
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream f(entry.path() / "status");
    std::string line;
    while (std::getline(f, line)) {
      if (line.rfind("State:", 0) == 0) {
        size_t at = line.find_first_not_of(" \t", 6);
        char state = at == std::string::npos ? '?' : line[at];
        EXPECT_TRUE(state != 't' && state != 'T') << entry.path() << ": " << line;
      }
      if (line.rfind("TracerPid:", 0) == 0) {
        EXPECT_EQ(std::atoi(line.c_str() + 10), 0) << entry.path() << ": " << line;
      }
    }
  }
}

// hot's share of the samples in hot or warm.
double hot_share(const Folded& f) {
  uint64_t hot = count_if(f, [](const std::string& s) { return has(s, ";hot ("); });
  uint64_t warm = count_if(f, [](const std::string& s) { return has(s, ";warm ("); });
  return hot + warm ? static_cast<double>(hot) / static_cast<double>(hot + warm) : -1;
}

struct Record {
  CommandResult cmd;
  Folded folded;
};

Record record(const std::vector<std::string>& args, const std::filesystem::path& out) {
  std::vector<std::string> a = {"record", "-f", "folded", "-o", out.string()};
  a.insert(a.end(), args.begin(), args.end());
  Record r;
  r.cmd = run_corostack(a);
  r.folded = read_folded(out);
  return r;
}

// Rounds taken, from the final progress line "... N rounds (...".
long rounds_of(const std::string& err) {
  std::smatch m;
  std::string last;
  std::regex re(R"(([0-9]+) rounds \()");
  for (auto it = std::sregex_iterator(err.begin(), err.end(), re); it != std::sregex_iterator();
       ++it)
    last = (*it)[1];
  return last.empty() ? -1 : std::stol(last);
}

bool at_least(const PythonInterpreter& py, int minor) {
  return py.major > 3 || (py.major == 3 && py.minor >= minor);
}

class RecordTest : public testing::TestWithParam<PythonInterpreter> {
 protected:
  void SetUp() override {
    py_ = GetParam();
    probe_python_interpreter(&py_);
    ASSERT_TRUE(py_.probe_error.empty()) << py_.probe_error;
    if (!at_least(py_, 6) && py_.version.rfind("2.7.", 0) != 0)
      GTEST_SKIP() << "SKIPPED LOUDLY: Python " << py_.version << " cannot be sampled";
    std::cout << "record: " << py_.version << " " << py_.path << "\n";
  }
  PythonInterpreter py_;
};

// Proportions, idle threads with and without --idle, --threads + --gil,
// --nonblocking; the target left running every time.
TEST_P(RecordTest, ProportionsIdleGilThreads) {
  TempDir dir;
  TargetProcess target({py_.path, kScript, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false, std::chrono::seconds(60)));
  json truth = read_truth(dir / "truth");
  std::string pid = std::to_string(target.pid());
  double want = truth.at("measured_hot_share");

  // The proportions need many samples: the long recording on a few
  // versions, a short one with a weak check on the others.
  bool long_check = py_.minor == 8 || py_.minor >= 11;
  Record plain =
      record({"-p", pid, "-d", long_check ? "4" : "1.5", "-r", "200"}, dir / "plain.txt");
  ASSERT_TRUE(plain.cmd.ok()) << plain.cmd.describe();
  EXPECT_TRUE(plain.cmd.out.empty()) << "stdout must stay clean: " << plain.cmd.out;
  {
    SCOPED_TRACE("plain" + describe(plain.folded));
    uint64_t burner =
        count_if(plain.folded, [](const std::string& s) { return has(s, "burner_main ("); });
    // 300-800 rounds asked for; a loaded 2-CPU machine gets a third of them.
    EXPECT_GT(burner, 50u) << "too few samples of the burner thread";
    double got = hot_share(plain.folded);
    std::cout << "record: " << py_.version << " hot share " << got << " (target measured " << want
              << "), burner samples " << burner << "\n";
    if (long_check) {
      EXPECT_NEAR(got, want, kShareTolerance);
    } else {
      // Few samples, and consecutive ones are not independent on a busy
      // machine (a preempted thread is seen at the same place): loose.
      EXPECT_GT(got, 0.3) << "hot() gets three times warm()'s work";
    }
    // hot and warm are never leaves: work() is.
    uint64_t hot_leaf = count_if(plain.folded, [](const std::string& s) {
      return std::regex_search(s, std::regex(R"(;(hot|warm) \([^;]*$)"));
    });
    EXPECT_LE(static_cast<double>(hot_leaf), 0.03 * static_cast<double>(burner) + 1);
    EXPECT_EQ(count_if(plain.folded, [](const std::string& s) { return has(s, "sleeper_main ("); }),
              0u)
        << "the sleeping thread must be left out without --idle";
  }
  expect_not_stopped_or_traced(target.pid());

  Record idle = record({"-p", pid, "-d", "1", "-r", "100", "--idle"}, dir / "idle.txt");
  ASSERT_TRUE(idle.cmd.ok()) << idle.cmd.describe();
  {
    SCOPED_TRACE("--idle" + describe(idle.folded));
    uint64_t sleeper = count_if(idle.folded, [](const std::string& s) {
      return has(s, "sleeper_main (") &&
             (std::regex_search(s, std::regex(R"(;(syscall:[a-z_0-9]+|<idle>)$)")));
    });
    EXPECT_GT(sleeper, 5u) << "the sleeping thread must be there, with an idle or system-call leaf";
    EXPECT_GT(count_if(idle.folded, [](const std::string& s) { return has(s, "hot ("); }), 0u);
  }
  expect_not_stopped_or_traced(target.pid());

  Record threads =
      record({"-p", pid, "-d", "1", "-r", "100", "--threads", "--gil"}, dir / "gil.txt");
  ASSERT_TRUE(threads.cmd.ok()) << threads.cmd.describe();
  {
    SCOPED_TRACE("--threads --gil" + describe(threads.folded));
    std::string burner_root = "thread " + std::to_string(truth_tid(truth, "burner")) + " (burner);";
    uint64_t total = count_if(threads.folded, [](const std::string&) { return true; });
    uint64_t burner = count_if(threads.folded,
                               [&](const std::string& s) { return s.rfind(burner_root, 0) == 0; });
    if (py_.free_threaded) {
      // No GIL: said on stderr, and every running thread is kept.
      EXPECT_NE(threads.cmd.err.find("--gil does not apply to free-threaded"), std::string::npos)
          << threads.cmd.err;
      EXPECT_GT(burner, 20u);
    } else {
      // The GIL holder (2.7 and 3.6: _PyThreadState_Current): the burner, or
      // now and then the main thread between reads.
      EXPECT_GT(total, 20u);
      EXPECT_GE(static_cast<double>(burner), 0.9 * static_cast<double>(total));
      EXPECT_EQ(count_if(threads.folded, [](const std::string& s) { return has(s, "sleeper"); }),
                0u);
    }
    for (const auto& [stack, c] : threads.folded) EXPECT_EQ(stack.rfind("thread ", 0), 0u) << stack;
  }
  expect_not_stopped_or_traced(target.pid());

  Record nb = record({"-p", pid, "-d", "1", "-r", "200", "--nonblocking"}, dir / "nb.txt");
  ASSERT_TRUE(nb.cmd.ok()) << nb.cmd.describe();
  {
    SCOPED_TRACE("--nonblocking" + describe(nb.folded));
    EXPECT_GT(count_if(nb.folded, [](const std::string& s) { return has(s, "hot ("); }), 10u);
    // Reads race the running thread (torn stacks are dropped), and the
    // sample count is small: only the direction is checked.
    EXPECT_GT(hot_share(nb.folded), 0.3);
  }
  expect_not_stopped_or_traced(target.pid());
}

// --async: each busy task's frames under its own task root.
// A thread that spends its time collecting garbage: on a GIL build its
// samples end in "<gc>" (the collector holds the GIL); a free-threaded build
// names no collector, so none does; 3.6 cannot tell a collection runs.
TEST_P(RecordTest, GarbageCollectionIsMarked) {
  if (!at_least(py_, 7))
    GTEST_SKIP() << "SKIPPED LOUDLY: Python " << py_.version
                 << ": 3.6 has no collecting flag to read; 2.7's GIL starves the other threads "
                    "behind a gc.collect() loop, so the target never gets ready";
  TempDir dir;
  TargetProcess target({py_.path, PY_GC_BUSY_SCRIPT, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false)) << target.output();
  nlohmann::json truth = nlohmann::json::parse(std::ifstream(dir / "truth"));
  std::string root = "thread " + std::to_string(truth["collector"].get<int>()) + " (";
  Record r = record({"-p", std::to_string(target.pid()), "-d", "1", "--threads"}, dir / "out");
  ASSERT_EQ(r.cmd.exit_code, 0) << r.cmd.describe();
  uint64_t all = count_if(r.folded, [&](const std::string& s) { return has(s, root); });
  uint64_t gc = count_if(r.folded, [&](const std::string& s) {
    return has(s, root) && s.size() >= 5 && s.compare(s.size() - 5, 5, ";<gc>") == 0;
  });
  ASSERT_GT(all, 10u) << "too few samples of the collector";
  if (py_.free_threaded) {
    EXPECT_EQ(gc, 0u);
  } else {
    EXPECT_GE(gc * 2, all) << gc << " of " << all << " collector samples end in <gc>";
  }
}

TEST_P(RecordTest, AsyncTaskRoots) {
  if (!at_least(py_, 8)) GTEST_SKIP() << "SKIPPED LOUDLY: asyncio tasks are read on 3.8+";
  TempDir dir;
  TargetProcess target({py_.path, kScript, "{ready_fd}", (dir / "truth").string(), "--async"});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false, std::chrono::seconds(60)));
  std::string pid = std::to_string(target.pid());
  Record r = record({"-p", pid, "-d", "2", "-r", "200", "--async"}, dir / "async.txt");
  ASSERT_TRUE(r.cmd.ok()) << r.cmd.describe();
  SCOPED_TRACE(describe(r.folded));
  uint64_t a = count_if(r.folded, [](const std::string& s) { return has(s, ";spin_a ("); });
  uint64_t b = count_if(r.folded, [](const std::string& s) { return has(s, ";spin_b ("); });
  uint64_t a_ok = count_if(r.folded, [](const std::string& s) {
    return has(s, ";spin_a (") && s.rfind("busy_a;", 0) == 0;
  });
  uint64_t b_ok = count_if(r.folded, [](const std::string& s) {
    return has(s, ";spin_b (") && s.rfind("busy_b;", 0) == 0;
  });
  EXPECT_GT(a, 5u);
  EXPECT_GT(b, 5u);
  EXPECT_EQ(a_ok, a) << "spin_a samples not under the busy_a root";
  EXPECT_EQ(b_ok, b) << "spin_b samples not under the busy_b root";
  // A task root is only ever over that task's own coroutine.
  for (const auto& [stack, c] : r.folded) {
    if (stack.rfind("busy_a;", 0) == 0 || stack.rfind("busy_b;", 0) == 0) {
      EXPECT_TRUE(has(stack, "busy (") || has(stack, "main (")) << stack;
    }
  }
  expect_not_stopped_or_traced(target.pid());
}

// The CPU time a thread has used (utime + stime, clock ticks), from /proc.
uint64_t thread_cpu_ticks(pid_t pid, pid_t tid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream rest(stat.substr(paren + 2));
  std::string field;
  uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return utime + stime;
}

// Several threads running Python at once (free-threaded builds) or in turn
// (the GIL): each thread's share of the samples follows its share of the
// CPU time the kernel charged it while recording.
TEST_P(RecordTest, SamplesPerThreadFollowCpuShare) {
  TempDir dir;
  TargetProcess target({py_.path, kDutyScript, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false, std::chrono::seconds(60)));
  json truth = read_truth(dir / "truth");
  std::string pid = std::to_string(target.pid());
  std::map<std::string, pid_t> tids;
  std::map<std::string, uint64_t> before;
  for (const json& t : truth.at("threads")) {
    tids[t.at("name")] = t.at("tid");
    before[t.at("name")] = thread_cpu_ticks(target.pid(), t.at("tid"));
  }
  Record r = record({"-p", pid, "-d", "3", "-r", "200", "--threads"}, dir / "duty.txt");
  ASSERT_TRUE(r.cmd.ok()) << r.cmd.describe();
  SCOPED_TRACE(describe(r.folded));
  uint64_t cpu_total = 0, samples_total = 0;
  std::map<std::string, uint64_t> cpu, samples;
  for (const auto& [name, tid] : tids) {
    cpu[name] = thread_cpu_ticks(target.pid(), tid) - before[name];
    cpu_total += cpu[name];
    std::string root = "thread " + std::to_string(tid) + " (";
    samples[name] = count_if(r.folded, [&](const std::string& s) { return s.rfind(root, 0) == 0; });
    samples_total += samples[name];
  }
  ASSERT_GT(cpu_total, 0u);
  ASSERT_GT(samples_total, 100u) << "too few samples of the busy threads";
  std::ostringstream report;
  for (const auto& [name, tid] : tids) {
    double cpu_share = static_cast<double>(cpu[name]) / static_cast<double>(cpu_total);
    double sample_share = static_cast<double>(samples[name]) / static_cast<double>(samples_total);
    report << " " << name << " cpu " << cpu_share << " samples " << sample_share;
    EXPECT_NEAR(sample_share, cpu_share, 0.1) << name;
  }
  std::cout << "record: " << py_.version << (py_.free_threaded ? "t" : "")
            << " per-thread shares:" << report.str() << " (" << samples_total << " samples)\n";
  expect_not_stopped_or_traced(target.pid());
}

INSTANTIATE_TEST_SUITE_P(Interpreters, RecordTest,
                         testing::ValuesIn(find_python_interpreter_paths()),
                         [](const testing::TestParamInfo<PythonInterpreter>& info) {
                           return info.param.name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RecordTest);

// One interpreter for the tests of the command itself: 3.11 when present.
std::optional<PythonInterpreter> one_python() {
  std::optional<PythonInterpreter> best;
  for (PythonInterpreter p : find_python_interpreter_paths()) {
    probe_python_interpreter(&p);
    if (!p.probe_error.empty() || !at_least(p, 8)) continue;
    if (!best || p.minor == 11) best = p;
  }
  return best;
}

// A child process we start and signal (run_command only waits). It starts
// with default signal dispositions (a test run started in the background by
// a non-interactive shell ignores SIGINT, and exec keeps that), except the
// ones asked to be ignored, as nohup would.
class Spawned {
 public:
  Spawned(const std::vector<std::string>& argv, const std::filesystem::path& err,
          std::initializer_list<int> ignored = {}) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
      for (int sig : ignored) ::signal(sig, SIG_IGN);
      int fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 2);
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
      std::vector<char*> a;
      for (const std::string& s : argv) a.push_back(const_cast<char*>(s.c_str()));
      a.push_back(nullptr);
      ::execv(a[0], a.data());
      ::_exit(127);
    }
    ::setpgid(pid_, pid_);
  }
  ~Spawned() {
    if (pid_ > 0 && !reaped_) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // Exit code, or -1 when killed or still running after the timeout.
  int wait(std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

class RecordCommandTest : public testing::Test {
 protected:
  void SetUp() override {
    auto p = one_python();
    if (!p) GTEST_SKIP() << "SKIPPED LOUDLY: no Python 3.8+ interpreter found";
    py_ = *p;
  }
  PythonInterpreter py_;
};

TEST_F(RecordCommandTest, CommandModeRecordsUntilItExits) {
  TempDir dir;
  auto t0 = std::chrono::steady_clock::now();
  Record r = record({"-r", "100", "--", py_.path, kScript, "-1", "-", "--exit-after", "1.5"},
                    dir / "cmd.txt");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r.cmd.ok()) << r.cmd.describe();
  // Whichever sees it first: the sampler (process gone) or waitpid.
  EXPECT_TRUE(has(r.cmd.err, "the command exited") || has(r.cmd.err, "the process exited"))
      << r.cmd.err;
  EXPECT_LT(secs, 30.0);
  EXPECT_GT(count_if(r.folded, [](const std::string& s) { return has(s, "hot ("); }), 10u)
      << describe(r.folded) << "\n"
      << r.cmd.err;
}

TEST_F(RecordCommandTest, SigintStillWritesTheFile) {
  TempDir dir;
  TargetProcess target({py_.path, kScript, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(false, std::chrono::seconds(60)));
  std::filesystem::path out = dir / "int.txt";
  Spawned rec({COROSTACK_BIN, "record", "-p", std::to_string(target.pid()), "-f", "folded", "-o",
               out.string(), "-r", "200"},
              dir / "err");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ::kill(rec.pid(), SIGINT);
  EXPECT_EQ(rec.wait(std::chrono::seconds(20)), 0) << slurp(dir / "err");
  Folded f = read_folded(out);
  EXPECT_GT(count_if(f, [](const std::string& s) { return has(s, "hot ("); }), 10u) << describe(f);
  EXPECT_TRUE(has(slurp(dir / "err"), "interrupted")) << slurp(dir / "err");
  expect_not_stopped_or_traced(target.pid());
  // Killed outright in the middle of rounds (1000 a second, so most of the
  // time is inside one): the target must run on.
  for (int delay_ms : {400, 650, 900}) {
    Spawned killed({COROSTACK_BIN, "record", "-p", std::to_string(target.pid()), "-f", "folded",
                    "-o", (dir / "killed.txt").string(), "-r", "1000"},
                   dir / "err2");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ::kill(killed.pid(), SIGKILL);
    killed.wait(std::chrono::seconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    expect_not_stopped_or_traced(target.pid());
  }
  expect_not_stopped_or_traced(target.pid());
}

// `nohup corostack record ... &`: a hang-up it started out ignoring does not
// stop it; the control, started with the default disposition, stops on it.
TEST_F(RecordCommandTest, IgnoredHangupIsStillIgnored) {
  TempDir dir;
  TargetProcess target({py_.path, kScript, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(false, std::chrono::seconds(60)));
  std::vector<std::string> argv{COROSTACK_BIN, "record", "-p", std::to_string(target.pid()),
                                "-f",          "folded", "-r", "100",
                                "-d",          "3",      "-o"};
  argv.push_back((dir / "nohup.txt").string());
  Spawned nohup(argv, dir / "err-nohup", {SIGHUP});
  // The control samples a target of its own: two samplers on one process
  // would each, now and then, find it seized by the other and refuse.
  TargetProcess other({py_.path, kScript, "{ready_fd}", (dir / "truth2").string()});
  ASSERT_TRUE(other.wait_ready(false, std::chrono::seconds(60)));
  argv[3] = std::to_string(other.pid());
  argv.back() = (dir / "hup.txt").string();
  Spawned control(argv, dir / "err-hup");
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  ::kill(nohup.pid(), SIGHUP);
  ::kill(control.pid(), SIGHUP);
  EXPECT_EQ(control.wait(std::chrono::seconds(20)), 0) << slurp(dir / "err-hup");
  EXPECT_TRUE(has(slurp(dir / "err-hup"), "stopped: interrupted")) << slurp(dir / "err-hup");
  EXPECT_EQ(nohup.wait(std::chrono::seconds(30)), 0) << slurp(dir / "err-nohup");
  EXPECT_TRUE(has(slurp(dir / "err-nohup"), "stopped: duration reached"))
      << slurp(dir / "err-nohup");
  EXPECT_GT(count_if(read_folded(dir / "nohup.txt"),
                     [](const std::string& s) { return has(s, "hot ("); }),
            10u);
  expect_not_stopped_or_traced(target.pid());
}

TEST_F(RecordCommandTest, TargetExitStillWritesTheFile) {
  TempDir dir;
  TargetProcess target(
      {py_.path, kScript, "{ready_fd}", (dir / "truth").string(), "--exit-after", "1.5"});
  ASSERT_TRUE(target.wait_ready(false, std::chrono::seconds(60)));
  auto t0 = std::chrono::steady_clock::now();
  Record r =
      record({"-p", std::to_string(target.pid()), "-d", "60", "-r", "100"}, dir / "exit.txt");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r.cmd.ok()) << r.cmd.describe();
  EXPECT_TRUE(has(r.cmd.err, "the process exited")) << r.cmd.err;
  EXPECT_LT(secs, 20.0);
  EXPECT_GT(count_if(r.folded, [](const std::string& s) { return has(s, "hot ("); }), 10u)
      << describe(r.folded);
}

TEST_F(RecordCommandTest, OutputToStdoutAndDefaultName) {
  TempDir dir;
  TargetProcess target({py_.path, kScript, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(false, std::chrono::seconds(60)));
  CommandResult r = run_corostack(
      {"record", "-p", std::to_string(target.pid()), "-d", "0.5", "-f", "folded", "-o", "-"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(has(r.out, "hot (")) << r.out;
  // Bad usage.
  CommandResult both = run_corostack({"record", "-p", "1", "--", "true"});
  EXPECT_EQ(both.exit_code, 64) << both.describe();
  CommandResult fmt = run_corostack({"record", "-p", std::to_string(target.pid()), "-f", "nope"});
  EXPECT_EQ(fmt.exit_code, 64) << fmt.describe();
  CommandResult nn =
      run_corostack({"record", "-p", std::to_string(target.pid()), "--native", "--nonblocking"});
  EXPECT_EQ(nn.exit_code, 64) << nn.describe();
}

TEST_F(RecordCommandTest, NativeMergesFrames) {
  TempDir dir;
  TargetProcess target({py_.path, kScript, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(false, std::chrono::seconds(60)));
  Record r = record({"-p", std::to_string(target.pid()), "-d", "1.5", "-r", "100", "--native"},
                    dir / "native.txt");
  ASSERT_TRUE(r.cmd.ok()) << r.cmd.describe();
  SCOPED_TRACE(describe(r.folded));
  // The burner's stacks: native thread start at the root, Python frames in
  // place of the eval loop, hot under burner_main.
  uint64_t merged = count_if(r.folded, [](const std::string& s) {
    return has(s, "start_thread") && has(s, "burner_main (") && has(s, ";hot (");
  });
  EXPECT_GT(merged, 20u);
  EXPECT_EQ(
      count_if(r.folded, [](const std::string& s) { return has(s, "_PyEval_EvalFrameDefault"); }),
      0u)
      << "eval-loop frames are replaced by the Python frames they run";
  expect_not_stopped_or_traced(target.pid());
}

TEST_F(RecordCommandTest, Rate1000) {
  TempDir dir;
  TargetProcess target({py_.path, kScript, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(false, std::chrono::seconds(60)));
  for (const char* mode : {"--nonblocking", "--idle"}) {
    SCOPED_TRACE(mode);
    Record r = record({"-p", std::to_string(target.pid()), "-d", "2", "-r", "1000", mode},
                      dir / "fast.txt");
    ASSERT_TRUE(r.cmd.ok()) << r.cmd.describe();
    long rounds = rounds_of(r.cmd.err);
    std::cout << "record -r 1000 " << mode << ": " << rounds << " rounds in 2 s\n";
    EXPECT_GT(count_if(r.folded, [](const std::string& s) { return has(s, "hot ("); }), 20u);
    if (rounds < 1000) {
      double load = 0;
      std::ifstream("/proc/loadavg") >> load;
      if (load > std::thread::hardware_concurrency()) {
        std::cout << "record: SKIPPED LOUDLY the 1000 Hz rate check: " << rounds
                  << " rounds of 2000, load average " << load << " on "
                  << std::thread::hardware_concurrency() << " CPUs\n";
        continue;
      }
    }
    EXPECT_GE(rounds, 1000) << r.cmd.err;
  }
  expect_not_stopped_or_traced(target.pid());
}

TEST_F(RecordCommandTest, Subprocesses) {
  TempDir dir;
  std::string parent = "import subprocess, sys; subprocess.run([sys.executable, '" +
                       std::string(kScript) + "', '-1', '-', '--exit-after', '2.5'])";
  Record r = record({"-r", "100", "--subprocesses", "--", py_.path, "-c", parent}, dir / "sub.txt");
  ASSERT_TRUE(r.cmd.ok()) << r.cmd.describe();
  SCOPED_TRACE(describe(r.folded) + "\n" + r.cmd.err);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.cmd.err, m, std::regex(R"(recording process ([0-9]+))")));
  std::string parent_root = "process " + m[1].str() + " (";
  uint64_t child_hot = count_if(r.folded, [&](const std::string& s) {
    return s.rfind("process ", 0) == 0 && s.rfind(parent_root, 0) != 0 && has(s, ";hot (");
  });
  EXPECT_GT(child_hot, 10u) << "the child's hot() under its own process root";
  // The parent runs Python only while starting (imports), then waits
  // (idle, left out): none of its samples are in the child's code.
  uint64_t parent_hot = count_if(r.folded, [&](const std::string& s) {
    return s.rfind(parent_root, 0) == 0 && has(s, "hot (");
  });
  EXPECT_EQ(parent_hot, 0u);
}

}  // namespace
}  // namespace e2e
