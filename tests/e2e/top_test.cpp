// `corostack top` under a pseudo-terminal (forkpty): the screen shows the
// hot function, keys change the sort column, 'q' exits with 0 and the
// terminal settings are restored; the target exiting ends top cleanly.
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "paths.hpp"
#include "python_interpreters.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

constexpr const char* kScript = PY_CPU_SPLIT_SCRIPT;

class PtyProcess {
 public:
  explicit PtyProcess(const std::vector<std::string>& argv) {
    winsize ws{};
    ws.ws_col = 160;
    ws.ws_row = 40;
    pid_ = ::forkpty(&master_, nullptr, nullptr, &ws);
    if (pid_ == 0) {
      // Ctrl-C must mean SIGINT even when the test run was started in the
      // background (which ignores SIGINT, and corostack keeps an ignored
      // signal ignored).
      ::signal(SIGINT, SIG_DFL);
      std::vector<char*> a;
      for (const std::string& s : argv) a.push_back(const_cast<char*>(s.c_str()));
      a.push_back(nullptr);
      ::execv(a[0], a.data());
      ::_exit(127);
    }
  }
  ~PtyProcess() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }
  bool started() const { return pid_ > 0 && master_ >= 0; }
  // Reads output until `want` appears (true) or the timeout passes.
  bool read_until(const std::string& want, std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    size_t from = seen_.size();
    while (std::chrono::steady_clock::now() < until) {
      if (seen_.find(want, from > want.size() ? from - want.size() : 0) != std::string::npos)
        return true;
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, 100) > 0) {
        char buf[4096];
        ssize_t n = ::read(master_, buf, sizeof buf);
        if (n <= 0) return seen_.find(want, from) != std::string::npos;
        seen_.append(buf, static_cast<size_t>(n));
      }
    }
    return false;
  }
  void write(const std::string& s) { (void)!::write(master_, s.data(), s.size()); }
  termios settings() const {
    termios t{};
    ::tcgetattr(master_, &t);
    return t;
  }
  int wait(std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      read_until("\x01never", std::chrono::milliseconds(50));  // drain
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
    return -1;
  }
  const std::string& output() const { return seen_; }

 private:
  pid_t pid_ = -1;
  int master_ = -1;
  bool reaped_ = false;
  std::string seen_;
};

std::optional<PythonInterpreter> one_python() {
  std::optional<PythonInterpreter> best;
  for (PythonInterpreter p : find_python_interpreter_paths()) {
    probe_python_interpreter(&p);
    if (!p.probe_error.empty() || p.major != 3 || p.minor < 8) continue;
    if (!best || p.minor == 12) best = p;
  }
  return best;
}

// A pty starts canonical with echo (forkpty with no termios): top must
// leave it so.
bool restored(const termios& t) {
  return (t.c_lflag & (ICANON | ECHO)) == (ICANON | ECHO);
}

std::string tail(const std::string& s) {
  return s.size() > 3000 ? s.substr(s.size() - 3000) : s;
}

TEST(TopCommand, ShowsHotFunctionAndQuitsWithQ) {
  auto py = one_python();
  if (!py) GTEST_SKIP() << "SKIPPED LOUDLY: no Python 3.8+ interpreter";
  TempDir dir;
  TargetProcess target({py->path, kScript, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(false, std::chrono::seconds(60)));
  PtyProcess top({paths::kCorostack, "top", "-p", std::to_string(target.pid())});
  ASSERT_TRUE(top.started());
  ASSERT_TRUE(top.read_until("work (", std::chrono::seconds(15))) << tail(top.output());
  EXPECT_TRUE(top.read_until("%Own", std::chrono::seconds(5)));
  termios raw = top.settings();
  EXPECT_EQ(raw.c_lflag & ICANON, 0u) << "top reads keys one by one";
  top.write("4");
  EXPECT_TRUE(top.read_until("[TotalTime]", std::chrono::seconds(5))) << tail(top.output());
  top.write("q");
  EXPECT_EQ(top.wait(std::chrono::seconds(10)), 0) << tail(top.output());
  EXPECT_TRUE(restored(top.settings())) << "terminal settings restored";
  EXPECT_NE(top.output().rfind("\x1b[?25h"), std::string::npos) << "cursor shown again";
  // The target runs on.
  EXPECT_EQ(::kill(target.pid(), 0), 0);
}

TEST(TopCommand, ExitsWhenTheTargetExits) {
  auto py = one_python();
  if (!py) GTEST_SKIP() << "SKIPPED LOUDLY: no Python 3.8+ interpreter";
  TempDir dir;
  TargetProcess target(
      {py->path, kScript, "{ready_fd}", (dir / "truth").string(), "--exit-after", "2"});
  ASSERT_TRUE(target.wait_ready(false, std::chrono::seconds(60)));
  PtyProcess top({paths::kCorostack, "top", "-p", std::to_string(target.pid()), "--nonblocking"});
  ASSERT_TRUE(top.started());
  EXPECT_EQ(top.wait(std::chrono::seconds(20)), 0) << tail(top.output());
  EXPECT_NE(top.output().find("the process exited"), std::string::npos) << tail(top.output());
  EXPECT_TRUE(restored(top.settings())) << "terminal settings restored";
}

TEST(TopCommand, CtrlCRestoresTheTerminal) {
  auto py = one_python();
  if (!py) GTEST_SKIP() << "SKIPPED LOUDLY: no Python 3.8+ interpreter";
  TempDir dir;
  TargetProcess target({py->path, kScript, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(false, std::chrono::seconds(60)));
  PtyProcess top({paths::kCorostack, "top", "-p", std::to_string(target.pid())});
  ASSERT_TRUE(top.started());
  ASSERT_TRUE(top.read_until("%Own", std::chrono::seconds(15))) << tail(top.output());
  top.write("\x03");  // Ctrl-C through the terminal: SIGINT
  EXPECT_EQ(top.wait(std::chrono::seconds(10)), 0) << tail(top.output());
  EXPECT_TRUE(restored(top.settings())) << "terminal settings restored";
}

// The sampler shares the walker: Python 2.7 too (same script, no --async).
TEST(TopCommand, ShowsHotFunctionOnPython27) {
  std::optional<PythonInterpreter> py;
  for (PythonInterpreter p : find_python_interpreter_paths()) {
    probe_python_interpreter(&p);
    if (p.probe_error.empty() && p.major == 2 && p.minor == 7) py = p;
  }
  if (!py) GTEST_SKIP() << "SKIPPED LOUDLY: no Python 2.7 interpreter";
  TempDir dir;
  TargetProcess target({py->path, kScript, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(false, std::chrono::seconds(60)));
  PtyProcess top({paths::kCorostack, "top", "-p", std::to_string(target.pid())});
  ASSERT_TRUE(top.started());
  ASSERT_TRUE(top.read_until("hot (", std::chrono::seconds(15))) << tail(top.output());
  EXPECT_TRUE(top.read_until("work (", std::chrono::seconds(5))) << tail(top.output());
  top.write("q");
  EXPECT_EQ(top.wait(std::chrono::seconds(10)), 0) << tail(top.output());
  EXPECT_TRUE(restored(top.settings())) << "terminal settings restored";
  EXPECT_EQ(::kill(target.pid(), 0), 0);
}

}  // namespace
}  // namespace e2e
