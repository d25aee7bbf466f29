// Every bad input gets a clear one-line message on stderr and the documented
// exit code (2 fatal, 64 usage), and leaves nothing stopped.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <thread>

#include "corostack.hpp"
#include "gdb.hpp"
#include "native_target.hpp"
#include "paths.hpp"
#include "process_state.hpp"
#include "run_command.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"
#include "truth.hpp"

namespace e2e {
namespace {

void expect_error(const CommandResult& r, int code, const std::string& needle) {
  EXPECT_EQ(r.exit_code, code) << r.describe();
  EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr lacks '" << needle << "': " << r.err;
  EXPECT_TRUE(r.out.empty()) << "stdout should carry results only: " << r.out;
  // One line, prefixed, so scripts and people can read it.
  EXPECT_EQ(r.err.rfind("corostack: ", 0), 0u) << r.err;
}

void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

// A minimal ELF64 header with the given class, machine and type.
std::string elf_header(unsigned char elf_class, uint16_t machine, uint16_t type) {
  std::string h(64, '\0');
  h[0] = 0x7f, h[1] = 'E', h[2] = 'L', h[3] = 'F', h[4] = static_cast<char>(elf_class), h[5] = 1,
  h[6] = 1;
  std::memcpy(&h[16], &type, 2);
  std::memcpy(&h[18], &machine, 2);
  return h;
}

pid_t free_pid() {
  // A pid that is not in use: beyond the kernel's pid_max.
  std::ifstream in("/proc/sys/kernel/pid_max");
  long max = 4194304;
  in >> max;
  return static_cast<pid_t>(max + 1 > 0x3fffffff ? 0x3fffffff : max + 1);
}

TEST(BadInput, NoSuchPid) {
  expect_error(run_corostack({"dump", "-p", std::to_string(free_pid())}), 2, "no such process");
}

TEST(BadInput, UsageErrors) {
  EXPECT_EQ(run_corostack({"dump"}).exit_code, 64);
  EXPECT_EQ(run_corostack({"dump", "-p", "1", "--core", "x"}).exit_code, 64);
  EXPECT_EQ(run_corostack({"dump", "--bogus"}).exit_code, 64);
  EXPECT_EQ(run_corostack({"frobnicate"}).exit_code, 64);
  CommandResult help = run_corostack({"dump", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Exit codes"), std::string::npos) << help.out;
}

TEST(BadInput, Zombie) {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  // Not reaped until the end of the test: a zombie.
  for (int i = 0; i < 1000; ++i) {
    std::ifstream in("/proc/" + std::to_string(child) + "/stat");
    std::string s;
    std::getline(in, s);
    if (s.find(") Z") != std::string::npos) break;
    ::usleep(1000);
  }
  expect_error(run_corostack({"dump", "-p", std::to_string(child)}), 2, "zombie");
  ::waitpid(child, nullptr, 0);
}

TEST(BadInput, KernelThread) {
  pid_t kthread = 0;
  for (const auto& ent : std::filesystem::directory_iterator("/proc")) {
    std::string name = ent.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(ent.path() / "stat");
    std::string s;
    std::getline(in, s);
    auto close = s.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(s.substr(close + 2));
    std::string f;
    unsigned long flags = 0;
    for (int i = 0; i < 7 && rest >> f; ++i)
      if (i == 6) flags = std::stoul(f);
    if (flags & 0x00200000) {
      kthread = std::stoi(name);
      break;
    }
  }
  if (!kthread) GTEST_SKIP() << "SKIPPED LOUDLY: no kernel thread visible in this pid namespace";
  expect_error(run_corostack({"dump", "-p", std::to_string(kthread)}), 2, "kernel thread");
}

TEST(BadInput, PermissionDenied) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "SKIPPED LOUDLY: needs root to run corostack as another user";
  TempDir dir;
  std::unique_ptr<TargetProcess> target;
  Truth truth;
  ASSERT_TRUE(start_blocked(paths::kNativeThreadsO0, native_threads_args(), dir, &target, &truth));
  // corostack as `nobody` against a root process.
  std::filesystem::path out = dir / "out", err = dir / "err";
  pid_t child = ::fork();
  if (child == 0) {
    // Open the output files while still root: nobody cannot write in our temp dir.
    std::FILE* o = std::freopen(out.c_str(), "w", stdout);
    std::FILE* e = std::freopen(err.c_str(), "w", stderr);
    (void)o, (void)e;
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(126);
    std::string pid = std::to_string(target->pid());
    ::execl(paths::kCorostack, paths::kCorostack, "dump", "-p", pid.c_str(), nullptr);
    ::_exit(127);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 126 || WEXITSTATUS(status) == 127)
    GTEST_SKIP() << "SKIPPED LOUDLY: could not run corostack as nobody (exit "
                 << WEXITSTATUS(status) << ")";
  std::ifstream ein(err);
  std::string msg((std::istreambuf_iterator<char>(ein)), {});
  EXPECT_EQ(WEXITSTATUS(status), 2) << msg;
  EXPECT_NE(msg.find("permission denied"), std::string::npos) << msg;
  EXPECT_NE(msg.find("CAP_SYS_PTRACE"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ptrace_scope"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--cap-add SYS_PTRACE"), std::string::npos) << msg;
  EXPECT_TRUE(target->wait_all_sleeping(std::chrono::seconds(5)));
}

TEST(BadInput, CoreFiles) {
  TempDir dir;
  expect_error(run_corostack({"dump", "--core", (dir / "missing").string()}), 2, "missing");
  write_file(dir / "empty", "");
  expect_error(run_corostack({"dump", "--core", (dir / "empty").string()}), 2, "truncated");
  write_file(dir / "text", "this is not an ELF file at all, just some text\n");
  expect_error(run_corostack({"dump", "--core", (dir / "text").string()}), 2, "not an ELF");
  write_file(dir / "short", elf_header(2, 62, 4).substr(0, 20));
  expect_error(run_corostack({"dump", "--core", (dir / "short").string()}), 2, "truncated");
  write_file(dir / "arm", elf_header(2, 183 /* EM_AARCH64 */, 4));
  expect_error(run_corostack({"dump", "--core", (dir / "arm").string()}), 2, "aarch64");
  write_file(dir / "i386", elf_header(1, 3 /* EM_386 */, 4));
  expect_error(run_corostack({"dump", "--core", (dir / "i386").string()}), 2, "32-bit");
  write_file(dir / "exec", elf_header(2, 62, 2 /* ET_EXEC */));
  expect_error(run_corostack({"dump", "--core", (dir / "exec").string()}), 2, "not a core");
}

TEST(BadInput, ExeDoesNotMatchCore) {
  TempDir dir;
  std::unique_ptr<TargetProcess> target;
  Truth truth;
  ASSERT_TRUE(start_blocked(paths::kNativeThreadsO0, native_threads_args(), dir, &target, &truth));
  std::string core = (dir / "ours.core").string();
  CommandResult g = run_corostack({"gcore", "-p", std::to_string(target->pid()), "-o", core});
  ASSERT_EQ(g.exit_code, 0) << g.describe();
  // The O2 build is a different binary with a different build-id.
  expect_error(run_corostack({"dump", "--core", core, "--exe", paths::kNativeThreadsO2}), 64,
               "does not match");
  expect_error(run_corostack({"dump", "--core", core, "--exe", (dir / "nope").string()}), 2,
               "nope");
  // The right one is accepted.
  EXPECT_EQ(run_corostack({"dump", "--core", core, "--exe", paths::kNativeThreadsO0}).exit_code, 0);
}

using namespace std::chrono_literals;

// Sets an environment variable for the corostack processes this test starts.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

// The messages a vanished target may get, depending on where corostack was.
bool says_gone(const std::string& err) {
  for (const char* s : {"no such process", "went away", "has exited", "exited", "zombie",
                        "no threads left", "gone"})
    if (err.find(s) != std::string::npos) return true;
  return false;
}

TEST(BadInput, TasksOnANonPythonProcess) {
  TempDir dir;
  std::unique_ptr<TargetProcess> target;
  Truth truth;
  ASSERT_TRUE(start_blocked(paths::kNativeThreadsO2, native_threads_args(), dir, &target, &truth));
  const std::string pid = std::to_string(target->pid());
  for (bool json : {false, true}) {
    std::vector<std::string> args{"tasks", "-p", pid};
    if (json) args.push_back("--json");
    expect_error(run_corostack(args), 2, "not a Python process");
  }
  EXPECT_EQ(traced_or_stopped_thread(target->pid()), "");
  // And on a core of it.
  std::string core = (dir / "native.core").string();
  ASSERT_EQ(run_corostack({"gcore", "-p", pid, "-o", core}).exit_code, 0);
  expect_error(run_corostack({"tasks", "--core", core}), 2, "not a Python process");
  EXPECT_EQ(traced_or_stopped_thread(target->pid()), "");
  EXPECT_TRUE(target->wait_all_sleeping(5000ms));
}

// corostack cannot attach to itself (a tracer cannot stop itself): a usage
// error, said plainly. `exec` keeps the shell's pid, so $$ is corostack's.
TEST(BadInput, OwnPid) {
  for (const char* command : {"dump", "tasks", "coro", "gcore"}) {
    SCOPED_TRACE(command);
    std::string script = std::string("exec \"$0\" ") + command + " -p $$";
    if (std::string(command) == "gcore") script += " -o /dev/null";
    CommandResult r = run_command({"/bin/sh", "-c", script, paths::kCorostack}, 30s);
    expect_error(r, 64, "cannot inspect itself");
  }
}

// Its parent, on the other hand, is an ordinary process (blocked in wait4):
// it is read without being stopped, and runs on (else sh would never exit).
TEST(BadInput, ParentPid) {
  for (const char* extra : {"", " --stop-all"}) {
    SCOPED_TRACE(extra);
    // "; exit $?": a last command alone may be exec'd by the shell in its place.
    std::string script = std::string("\"$0\" dump --json -p $$") + extra + "; exit $?";
    CommandResult r = run_command({"/bin/sh", "-c", script, paths::kCorostack}, 30s);
    ASSERT_FALSE(r.timed_out) << r.describe();
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.out;
    EXPECT_EQ(j.at("threads").size(), 1u) << r.out;
    EXPECT_EQ(j.at("process").at("pid").get<pid_t>(), j.at("threads")[0].at("tid").get<pid_t>());
  }
}

// The target vanishes between corostack's validation of the pid and its
// PTRACE_SEIZE (COROSTACK_TEST_DELAY_ATTACH_US holds that window open): exit
// 2 and a message saying so, for every command, whether the target was
// reaped (gone) or not yet (a zombie).
TEST(BadInput, TargetExitsBeforeAttach) {
  ScopedEnv delay("COROSTACK_TEST_DELAY_ATTACH_US", "400000");
  for (bool reap : {true, false}) {
    for (const char* command : {"dump", "coro", "gcore"}) {
      SCOPED_TRACE(std::string(command) + (reap ? " reaped" : " zombie"));
      TempDir dir;
      std::unique_ptr<TargetProcess> target;
      Truth truth;
      ASSERT_TRUE(
          start_blocked(paths::kNativeThreadsO2, native_threads_args(), dir, &target, &truth));
      const pid_t pid = target->pid();
      std::vector<std::string> args{command, "-p", std::to_string(pid)};
      if (std::string(command) == "gcore") args.insert(args.end(), {"-o", (dir / "c").string()});
      auto start = std::chrono::steady_clock::now();
      auto run = std::async(std::launch::async, [&] { return run_corostack(args); });
      std::this_thread::sleep_for(150ms);
      ASSERT_EQ(::kill(pid, SIGKILL), 0);
      if (reap) {
        ASSERT_TRUE(target->wait_exit(5000ms).has_value());
      } else {
        // Dead but not reaped: wait until it is a zombie.
        for (int i = 0; i < 500; ++i) {
          std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
          std::string st;
          std::getline(in, st);
          if (st.find(") Z") != std::string::npos) break;
          std::this_thread::sleep_for(2ms);
        }
      }
      CommandResult r = run.get();
      auto spent = std::chrono::steady_clock::now() - start;
      EXPECT_GE(spent, 400ms) << "the delay was not honoured: the test proves nothing";
      EXPECT_EQ(r.exit_code, 2) << r.describe();
      EXPECT_TRUE(says_gone(r.err)) << r.describe();
      EXPECT_EQ(r.err.find("permission denied"), std::string::npos) << r.describe();
      EXPECT_EQ(r.err.rfind("corostack: ", 0), 0u) << r.err;
      EXPECT_TRUE(r.out.empty()) << r.out;
    }
  }
}

// The same race without fault injection: processes that live a few
// milliseconds, dumped as they start and end. Each run ends cleanly: a dump
// (0, or 1 if it caught the process half gone) or "gone" (2), never a crash,
// a hang or any other message.
TEST(BadInput, ShortLivedProcesses) {
  std::mt19937 rng(7);
  int outcomes[3] = {0, 0, 0};
  for (int round = 0; round < 24; ++round) {
    // 0 to 120 ms: corostack's own start takes about as long.
    char life[16];
    std::snprintf(life, sizeof life, "0.%03d", std::uniform_int_distribution<int>(0, 120)(rng));
    pid_t child = ::fork();
    if (child == 0) {
      ::execl("/bin/sleep", "sleep", life, nullptr);
      ::_exit(127);
    }
    ASSERT_GT(child, 0);
    // Reaped as soon as it exits, so its pid really goes away.
    std::thread reaper([child] { ::waitpid(child, nullptr, 0); });
    const char* command = round % 2 ? "dump" : "tasks";
    CommandResult r = run_command({paths::kCorostack, command, "-p", std::to_string(child)}, 30s);
    reaper.join();
    SCOPED_TRACE("round " + std::to_string(round) + " " + command + " life " + std::string(life));
    ASSERT_FALSE(r.timed_out) << r.describe();
    ASSERT_EQ(r.signal, 0) << r.describe();
    ASSERT_TRUE(r.exit_code >= 0 && r.exit_code <= 2) << r.describe();
    if (r.exit_code == 2) {
      EXPECT_EQ(r.err.rfind("corostack: ", 0), 0u) << r.err;
      // tasks may also find it alive and not Python.
      EXPECT_TRUE(says_gone(r.err) || r.err.find("not a Python process") != std::string::npos)
          << r.describe();
    }
    ++outcomes[r.exit_code];
  }
  std::cout << "[ info ] short-lived processes: " << outcomes[0] << " complete, " << outcomes[1]
            << " partial, " << outcomes[2] << " gone\n";
}

// A process whose main thread called pthread_exit while its other threads
// run on: /proc shows its leader as a zombie (and its /proc/PID/maps empty).
// It is alive: dump reads it through a live thread; gcore says why it cannot.
TEST(BadInput, MainThreadExited) {
  TempDir dir;
  TargetProcess target({paths::kManyThreads, "{ready_fd}", (dir / "truth").string(), "--threads",
                        "4", "--main-exits"});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false)) << target.output();
  const pid_t pid = target.pid();
  auto leader_state = [&] {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string s;
    std::getline(in, s);
    auto close = s.rfind(')');
    return close == std::string::npos || close + 2 >= s.size() ? '?' : s[close + 2];
  };
  for (int i = 0; i < 1000 && leader_state() != 'Z'; ++i) std::this_thread::sleep_for(2ms);
  ASSERT_EQ(leader_state(), 'Z');
  JsonRun j = run_corostack_json({"dump", "--json", "-p", std::to_string(pid)});
  EXPECT_EQ(j.cmd.exit_code, 0) << j.cmd.describe();
  ASSERT_FALSE(j.json.is_discarded()) << j.parse_error;
  ASSERT_EQ(j.json.at("threads").size(), 4u);
  for (const nlohmann::json& t : j.json.at("threads")) {
    std::vector<std::string> fns = frame_functions(t);
    EXPECT_NE(std::find(fns.begin(), fns.end(), "many_thread"), fns.end()) << t.dump();
  }
  expect_error(run_corostack({"gcore", "-p", std::to_string(pid), "-o", (dir / "c").string()}), 2,
               "main thread");
  expect_error(run_corostack({"tasks", "-p", std::to_string(pid)}), 2, "not a Python process");
  EXPECT_EQ(traced_or_stopped_thread(pid), "");
}

// How many threads the big-process test starts: 10 000 in the soak run
// (COROSTACK_SOAK), 2000 in make test; COROSTACK_MANY_THREADS overrides.
int many_thread_count() {
  if (const char* v = std::getenv("COROSTACK_MANY_THREADS")) return std::atoi(v);
  return std::getenv("COROSTACK_SOAK") ? 10000 : 2000;
}

// A process with thousands of threads: dump completes in bounded time, sees
// every thread, and leaves none stopped or traced, in the default mode
// (nothing stopped: all blocked) and with --stop-all (all stopped).
TEST(BadInput, ThousandsOfThreads) {
  const int n = many_thread_count();
  TempDir dir;
  std::unique_ptr<TargetProcess> target;
  Truth truth;
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      start_blocked(paths::kManyThreads, {"--threads", std::to_string(n)}, dir, &target, &truth));
  auto started = std::chrono::steady_clock::now();
  const std::string pid = std::to_string(target->pid());
  for (const char* mode : {"", "--stop-all"}) {
    SCOPED_TRACE(mode);
    std::vector<std::string> args{"dump", "--json", "-p", pid};
    if (*mode) args.push_back(mode);
    auto start = std::chrono::steady_clock::now();
    JsonRun j = run_corostack_json(args);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    ASSERT_FALSE(j.cmd.timed_out) << j.cmd.describe();
    EXPECT_EQ(j.cmd.exit_code, 0) << j.cmd.describe();
    ASSERT_FALSE(j.json.is_discarded()) << j.parse_error;
    EXPECT_EQ(j.json.at("threads").size(), static_cast<size_t>(n + 1));
    EXPECT_EQ(traced_or_stopped_thread(target->pid()), "");
    EXPECT_TRUE(target->wait_all_sleeping(30000ms));
    std::cout << "[ info ] " << n << " threads: dump " << mode << " " << ms << " ms, pause "
              << j.json.value("pause_ns", 0.0) / 1e6 << " ms (target start "
              << std::chrono::duration_cast<std::chrono::milliseconds>(started - t0).count()
              << " ms)\n";
  }
}

}  // namespace
}  // namespace e2e
