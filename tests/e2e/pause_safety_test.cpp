// The safety invariant: whatever happens to corostack while it has a live
// target paused, the target ends up running and untraced. We kill corostack
// (SIGKILL mostly; also SIGTERM, SIGINT, SIGSEGV) at random moments, many of
// them inside the pause, and check every thread of the target afterwards.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iostream>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "native_target.hpp"
#include "paths.hpp"
#include "process_state.hpp"
#include "python_interpreters.hpp"
#include "run_command.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"
#include "trace/bpf_tracer.hpp"
#include "truth.hpp"

namespace e2e {
namespace {

using namespace std::chrono_literals;

// Starts `corostack ARGS` with the pause stretched to hold_us, output to
// /dev/null.
pid_t spawn_corostack(const std::vector<std::string>& args, long hold_us) {
  // Prepared before fork(): after it, only async-signal-safe calls.
  std::vector<std::string> argv_s{paths::kCorostack};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s{"COROSTACK_TEST_HOLD_PAUSE_US=" + std::to_string(hold_us)};
  for (char** e = environ; *e; ++e)
    if (std::string_view(*e).rfind("COROSTACK_TEST_", 0) != 0) env_s.emplace_back(*e);
  std::vector<char*> envp;
  for (std::string& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  // Default dispositions, nothing blocked: a test run started in the
  // background by a non-interactive shell ignores SIGINT, and an ignored
  // disposition survives exec, so a SIGINT sent before corostack installs
  // its handlers would be lost (and `top` would run on for ever). Every
  // signal stays blocked from before fork() until the child has reset them,
  // so one sent in between waits, pending, instead of being discarded.
  sigset_t all, saved;
  ::sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, &saved);
  pid_t child = ::fork();
  if (child == 0) {
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV}) ::signal(sig, SIG_DFL);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::sigprocmask(SIG_SETMASK, &saved, nullptr);
  return child;
}

// Whether `tracer` traces any thread of pid: the main thread first (every
// stop-all pause seizes it), then the others (a sampler round stops only the
// running threads).
bool traced_by(pid_t pid, pid_t tracer) {
  if (tracer_of(pid) == tracer) return true;
  std::error_code ec;
  for (const auto& ent :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(ent.path() / "status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("TracerPid:", 0) == 0 && std::atol(line.c_str() + 10) == tracer) return true;
  }
  return false;
}

// Fast enough for make test; the soak run (ctest -L soak) sets 1000.
// Waits up to `limit` for `child` to end. A child still there then is
// killed and reaped (so the test goes on to say so) and false returned.
bool reaped_within(pid_t child, std::chrono::seconds limit, int* status) {
  for (auto until = std::chrono::steady_clock::now() + limit;
       std::chrono::steady_clock::now() < until;) {
    pid_t r = ::waitpid(child, status, WNOHANG);
    if (r == child) return true;
    if (r < 0) return false;
    std::this_thread::sleep_for(1ms);
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, status, 0);
  return false;
}

int kill_rounds() {
  if (const char* v = std::getenv("COROSTACK_KILL_ROUNDS")) return std::atoi(v);
  return std::getenv("COROSTACK_SOAK") ? 1000 : 50;
}

// Runs `corostack ARGS` against target rounds times, killing it at random
// moments, most of them inside the pause (aimed at by waiting until the
// target is traced by it), with SIGKILL mostly and SIGTERM, SIGINT, SIGSEGV;
// after each round no thread of the target may be stopped or traced.
void kill_at_random_moments(TargetProcess& target, const std::vector<std::string>& args,
                            unsigned seed) {
  const pid_t pid = target.pid();
  std::mt19937 rng(seed);
  const int signals[] = {SIGKILL, SIGKILL, SIGKILL, SIGTERM, SIGINT, SIGSEGV};
  int rounds = kill_rounds(), killed_in_pause = 0, killed_elsewhere = 0, finished = 0;
  int by_signal[NSIG] = {};
  auto started = std::chrono::steady_clock::now();
  for (int round = 0; round < rounds; ++round) {
    long hold_us = std::uniform_int_distribution<long>(200, 3000)(rng);
    pid_t child = spawn_corostack(args, hold_us);
    ASSERT_GT(child, 0);
    bool in_pause = false;
    if (round % 4 != 0) {
      // Wait until the pause has begun (the target is traced), then kill at a
      // random point inside it.
      auto until = std::chrono::steady_clock::now() + 10s;
      while (!traced_by(pid, child) && std::chrono::steady_clock::now() < until) {
        int st;
        if (::waitpid(child, &st, WNOHANG) == child) {
          child = -1;
          break;
        }
        std::this_thread::sleep_for(20us);
      }
      if (child < 0) {
        ++finished;
        ASSERT_EQ(traced_or_stopped_thread(pid), "") << "round " << round;
        continue;
      }
      std::this_thread::sleep_for(
          std::chrono::microseconds(std::uniform_int_distribution<long>(0, hold_us)(rng)));
      in_pause = traced_by(pid, child);
    } else {
      // Anywhere: start-up, pause, analysis, output, exit.
      std::this_thread::sleep_for(
          std::chrono::microseconds(std::uniform_int_distribution<long>(0, 60000)(rng)));
    }
    int sig = signals[std::uniform_int_distribution<size_t>(0, std::size(signals) - 1)(rng)];
    ::kill(child, sig);
    int status = 0;
    // Every signal sent ends corostack: SIGTERM and SIGINT through its own
    // clean-up, within a round.
    if (!reaped_within(child, 30s, &status))
      FAIL() << "round " << round << ": corostack still ran 30 s after signal " << sig;
    if (in_pause) {
      ++killed_in_pause;
      ++by_signal[sig];
    } else if (WIFSIGNALED(status)) {
      ++killed_elsewhere;
    } else {
      ++finished;
    }
    // The kernel has released every tracee by the time the tracer is reaped.
    std::string bad = traced_or_stopped_thread(pid);
    ASSERT_EQ(bad, "") << "round " << round << ": signal " << sig << " in_pause=" << in_pause;
    ASSERT_EQ(target.wait_exit(0ms), std::nullopt) << "round " << round << ": the target died\n"
                                                   << target.output();
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  std::cout << "[ info ] " << args[0] << ": " << rounds << " rounds in " << ms
            << " ms: " << killed_in_pause << " killed inside the pause (SIGKILL "
            << by_signal[SIGKILL] << ", SIGTERM " << by_signal[SIGTERM] << ", SIGINT "
            << by_signal[SIGINT] << ", SIGSEGV " << by_signal[SIGSEGV] << "), " << killed_elsewhere
            << " killed elsewhere, " << finished << " finished first\n";
  // The test only proves something if most kills really landed in the pause.
  EXPECT_GE(killed_in_pause, rounds / 2);
}

// --stop-all: the targets' threads are all blocked, and by default those are
// read without stopping them; these tests are about the stopping path.
TEST(PauseSafety, TargetRunsFreeAfterCorostackIsKilledMidPause) {
  TempDir dir;
  std::unique_ptr<TargetProcess> target;
  Truth truth;
  ASSERT_TRUE(start_blocked(paths::kManyThreads, {"--threads", "64"}, dir, &target, &truth));
  kill_at_random_moments(*target, {"dump", "--stop-all", "-p", std::to_string(target->pid())},
                         12345);
  // And the target still works: every thread is back in its blocking call.
  EXPECT_TRUE(target->wait_all_sleeping(5000ms));
}

TEST(PauseSafety, GcoreKilledMidPause) {
  TempDir dir;
  std::unique_ptr<TargetProcess> target;
  Truth truth;
  ASSERT_TRUE(start_blocked(paths::kManyThreads, {"--threads", "64"}, dir, &target, &truth));
  kill_at_random_moments(
      *target, {"gcore", "-p", std::to_string(target->pid()), "-o", (dir / "core").string()}, 23);
  EXPECT_TRUE(target->wait_all_sleeping(5000ms));
}

TEST(PauseSafety, CoroKilledMidPause) {
  std::filesystem::path exe = std::filesystem::path(CORO_TARGETS_DIR) / "coro_chain_gcc_O2";
  if (!std::filesystem::exists(exe)) GTEST_SKIP() << "SKIPPED LOUDLY: " << exe << " not built";
  TempDir dir;
  TargetProcess target({exe.string(), "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(true)) << target.output();
  kill_at_random_moments(target, {"coro", "--stop-all", "-p", std::to_string(target.pid())}, 34);
  EXPECT_TRUE(target.wait_all_sleeping(5000ms));
}

// One interpreter is enough for the kill tests: the pause path is the same
// for all. The last 3.8+ found (asyncio and the sampler need 3.8+).
std::optional<PythonInterpreter> last_python_3_8_to_13() {
  std::optional<PythonInterpreter> py;
  for (PythonInterpreter p : find_python_interpreter_paths()) {
    probe_python_interpreter(&p);
    if (p.probe_error.empty() && p.major == 3 && p.minor >= 8) py = p;
  }
  return py;
}

TEST(PauseSafety, TasksKilledMidPause) {
  std::optional<PythonInterpreter> py = last_python_3_8_to_13();
  if (!py) GTEST_SKIP() << "SKIPPED LOUDLY: no CPython 3.8+ found";
  std::cout << "[ info ] tasks with " << py->version << " " << py->path << "\n";
  TempDir dir;
  TargetProcess target({py->path, PY_ASYNCIO_SCRIPT, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(true, 40s)) << target.output();
  kill_at_random_moments(target, {"tasks", "--stop-all", "-p", std::to_string(target.pid())}, 45);
  EXPECT_TRUE(target.wait_all_sleeping(5000ms));
  // The target's loop survived every interrupted epoll_wait: tasks still reads.
  CommandResult r = run_command({paths::kCorostack, "tasks", "-p", std::to_string(target.pid())});
  EXPECT_NE(r.out.find("on_sleep"), std::string::npos) << r.describe();
}

// The sampler pauses on every round: the target must run free whenever it
// dies. py_threads.py has a spinning thread, which each blocking round stops.
// `options` follow `COMMAND -p PID`; the target must still be read afterwards.
void kill_sampler_at_random_moments(const std::string& command,
                                    const std::vector<std::string>& options, unsigned seed) {
  std::optional<PythonInterpreter> py = last_python_3_8_to_13();
  if (!py) GTEST_SKIP() << "SKIPPED LOUDLY: no CPython 3.8+ found";
  std::cout << "[ info ] " << command << " with " << py->version << " " << py->path << "\n";
  TempDir dir;
  TargetProcess target({py->path, PY_THREADS_SCRIPT, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false, 40s)) << target.output();
  std::vector<std::string> args{command, "-p", std::to_string(target.pid())};
  args.insert(args.end(), options.begin(), options.end());
  kill_at_random_moments(target, args, seed);
  CommandResult r = run_command({paths::kCorostack, "dump", "-p", std::to_string(target.pid())});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("spin"), std::string::npos) << r.describe();
}

TEST(PauseSafety, RecordKilledMidPause) {
  kill_sampler_at_random_moments("record", {"-r", "200", "-d", "10", "-f", "folded", "-o", "-"},
                                 56);
}

// `top` samples like `record` but never ends by itself: every round kills it,
// in a pause or while it waits for the next round or draws the screen (its
// stdout is /dev/null here; the terminal paths are in TopCommandTest).
TEST(PauseSafety, TopKilledMidPause) {
  kill_sampler_at_random_moments("top", {"-r", "200"}, 78);
}

}  // namespace
}  // namespace e2e

namespace e2e {
namespace {

// All threads' State lines, e.g. {"T (stopped)", ...}.
std::vector<std::string> thread_states(pid_t pid) {
  std::vector<std::string> states;
  for (const auto& ent :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream in(ent.path() / "status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("State:", 0) == 0) states.push_back(line.substr(7));
  }
  return states;
}

// A process someone stopped on purpose (kill -STOP, a job-control stop) stays
// stopped after a dump: corostack must not resume what it did not stop.
TEST(PauseSafety, StoppedTargetStaysStopped) {
  TempDir dir;
  std::unique_ptr<TargetProcess> target;
  Truth truth;
  ASSERT_TRUE(start_blocked(paths::kNativeThreadsO2, native_threads_args(), dir, &target, &truth));
  const pid_t pid = target->pid();
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  auto all_stopped = [&] {
    for (const std::string& s : thread_states(pid))
      if (s[0] != 'T') return false;
    return true;
  };
  for (int i = 0; i < 2000 && !all_stopped(); ++i) std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(all_stopped());

  CommandResult r = run_command({paths::kCorostack, "dump", "-p", std::to_string(pid)});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("reader_level1"), std::string::npos) << r.out;
  EXPECT_TRUE(all_stopped()) << "the dump resumed a stopped process";
  EXPECT_EQ(tracer_of(pid), 0);

  ASSERT_EQ(::kill(pid, SIGCONT), 0);
  EXPECT_TRUE(target->wait_all_sleeping(5000ms));
}

// `trace` keeps every thread traced for its whole run: killed at any moment,
// with --py walking stacks at each call or not, the target must run on.
TEST(PauseSafety, TraceKilledMidTrace) {
  kill_sampler_at_random_moments("trace", {"--backend", "ptrace", "-d", "10", "-o", "/dev/null"},
                                 91);
}

TEST(PauseSafety, TracePyKilledMidTrace) {
  kill_sampler_at_random_moments(
      "trace", {"--backend", "ptrace", "--py", "-d", "10", "-o", "/dev/null"}, 92);
}

// The in-kernel backend stops nothing, so what it must never leave behind is
// in the kernel (with and without --py): killed (SIGKILL mostly, SIGTERM, SIGINT) while loading,
// while attached or while reading, every program it loaded is gone afterwards, the target was never
// traced or stopped, and an idle asyncio loop thread is never woken (its context switches stay the
// same through every round: no EINTR, as with ptrace's attach).
TEST(PauseSafety, TraceBpfKilledAtRandomMoments) {
  std::string why;
  if (!corostack::trace::bpf_supported(&why))
    GTEST_SKIP() << "*** eBPF trace backend NOT TESTED on this machine: " << why;
  std::optional<PythonInterpreter> py = last_python_3_8_to_13();
  if (!py) GTEST_SKIP() << "SKIPPED LOUDLY: no CPython 3.8+ found";
  TempDir dir;
  TargetProcess target({py->path, PY_IDLE_LOOP_SCRIPT, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/true, 40s)) << target.output();
  const pid_t pid = target.pid();
  const pid_t loop_tid = nlohmann::json::parse(std::ifstream(dir / "truth"))["loop_tid"];
  const long switches_before = context_switches(pid, loop_tid);
  ASSERT_GE(switches_before, 0);

  // --py's frame walk needs bpf_loop (Linux 5.17+): said, and left out, where it does not load.
  const bool py_loads = run_command({COROSTACK_BIN, "trace", "--backend", "bpf", "--py", "-c", "-w",
                                     "--", "/bin/true"})
                            .exit_code == 0;
  if (!py_loads) std::cout << "*** trace --py in the kernel NOT TESTED: it does not load here\n";
  std::mt19937 rng(93);
  const int signals[] = {SIGKILL, SIGKILL, SIGKILL, SIGTERM, SIGINT};
  const int rounds = kill_rounds();
  int killed_attached = 0, killed_elsewhere = 0;
  std::vector<uint32_t> all_programs;
  for (int round = 0; round < rounds; ++round) {
    // Every other round with --py: the kernel then walks the target's frames too.
    std::vector<std::string> args = {"trace", "--backend", "bpf", "-p",       std::to_string(pid),
                                     "-d",    "10",        "-o",  "/dev/null"};
    if (round % 2 && py_loads) args.push_back("--py");
    pid_t child = spawn_corostack(args, 0);
    ASSERT_GT(child, 0);
    BpfHandles held;
    if (round % 4 != 0) {  // once attached, at a random moment of reading
      for (auto until = std::chrono::steady_clock::now() + 10s;
           held.links == 0 && std::chrono::steady_clock::now() < until;) {
        std::this_thread::sleep_for(200us);
        held = bpf_handles_of(child);
      }
      std::this_thread::sleep_for(
          std::chrono::microseconds(std::uniform_int_distribution<long>(0, 20000)(rng)));
    } else {  // anywhere: start-up, loading, attaching
      std::this_thread::sleep_for(
          std::chrono::microseconds(std::uniform_int_distribution<long>(0, 60000)(rng)));
      held = bpf_handles_of(child);
    }
    int sig = signals[std::uniform_int_distribution<size_t>(0, std::size(signals) - 1)(rng)];
    ::kill(child, sig);
    int status = 0;
    if (!reaped_within(child, 30s, &status))
      FAIL() << "round " << round << ": corostack still ran 30 s after signal " << sig;
    (held.links > 0 ? killed_attached : killed_elsewhere)++;
    all_programs.insert(all_programs.end(), held.program_ids.begin(), held.program_ids.end());
    ASSERT_EQ(traced_or_stopped_thread(pid), "") << "round " << round;
    ASSERT_EQ(target.wait_exit(0ms), std::nullopt) << "round " << round << ": the target died";
  }
  // Programs are freed after an RCU grace period once the last fd is closed.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  for (uint32_t id : all_programs) {
    while (bpf_program_exists(id) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    EXPECT_FALSE(bpf_program_exists(id)) << "program " << id << " still loaded";
  }
  EXPECT_EQ(context_switches(pid, loop_tid), switches_before) << "the idle loop thread was woken";
  std::cout << "[ info ] trace --backend bpf: " << rounds << " rounds, " << killed_attached
            << " killed while attached, " << killed_elsewhere << " elsewhere; "
            << all_programs.size() << " programs seen loaded, none left\n";
  EXPECT_GE(killed_attached, rounds / 2);
  EXPECT_FALSE(all_programs.empty());
}

}  // namespace
}  // namespace e2e
