#include "target_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace e2e {
namespace {

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Threads of pid whose state is not S, as "tid:state" (empty when all sleep).
std::string threads_not_sleeping(pid_t pid) {
  std::string bad;
  std::error_code ec;
  std::filesystem::path task_dir = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& entry : std::filesystem::directory_iterator(task_dir, ec)) {
    std::string stat = slurp(entry.path() / "stat");
    size_t paren = stat.rfind(')');  // comm may contain spaces and ')'
    char state = paren != std::string::npos && paren + 2 < stat.size() ? stat[paren + 2] : '?';
    if (state != 'S') bad += entry.path().filename().string() + ":" + state + " ";
  }
  if (ec) return "cannot list " + task_dir.string();
  return bad;
}

}  // namespace

TargetProcess::TargetProcess(std::vector<std::string> argv, TargetOptions options) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  for (std::string& arg : argv) {
    for (size_t at; (at = arg.find("{ready_fd}")) != std::string::npos;)
      arg.replace(at, 10, std::to_string(ready[1]));
  }

  char out_template[] = "/tmp/corostack-target-out-XXXXXX";
  int out_fd = mkostemp(out_template, O_CLOEXEC);
  if (out_fd < 0) throw std::runtime_error(std::string("mkostemp: ") + std::strerror(errno));
  output_path_ = out_template;

  // Prepared before fork(): after it, only async-signal-safe calls.
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::string cwd = options.cwd.string();
  rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
  pid_t parent = getpid();

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    setpgid(0, 0);                     // its own group: the destructor kills all of it
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // do not outlive a crashed test
    if (getppid() != parent) _exit(127);
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    fcntl(ready[1], F_SETFD, 0);  // the one fd the target inherits
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) {
      const char msg[] = "target_process: chdir failed\n";
      (void)!write(2, msg, sizeof msg - 1);
      _exit(127);
    }
    if (options.unlimited_core) setrlimit(RLIMIT_CORE, &unlimited);
    execv(cargv[0], cargv.data());
    const char msg[] = "target_process: exec failed\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(127);
  }
  setpgid(pid_, pid_);  // also here, so the group exists whichever side runs first
  close(ready[1]);
  close(out_fd);
  ready_fd_ = ready[0];
}

TargetProcess::~TargetProcess() {
  if (!reaped_) {
    // Not reaped yet, so pid_ (a zombie at worst) cannot have been reused.
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    int status;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (ready_fd_ >= 0) close(ready_fd_);
  if (!std::getenv("COROSTACK_E2E_KEEP")) std::filesystem::remove(output_path_);
}

std::string TargetProcess::output() const {
  return slurp(output_path_);
}

std::string TargetProcess::describe_failure(const std::string& what) {
  std::string text = "target pid " + std::to_string(pid_) + ": " + what;
  int status;
  if (!reaped_ && waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped_ = true;
    if (WIFEXITED(status)) text += "; exited with " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) text += "; killed by signal " + std::to_string(WTERMSIG(status));
  }
  return text + "\ntarget output:\n" + output();
}

testing::AssertionResult TargetProcess::wait_ready(bool all_sleeping,
                                                   std::chrono::milliseconds timeout) {
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + timeout;
  std::string got;
  while (got.find("ready\n") == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return testing::AssertionFailure() << describe_failure("not ready after timeout");
    pollfd p{ready_fd_, POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR)
      return testing::AssertionFailure() << describe_failure("poll failed");
    if (n <= 0) continue;
    char buf[64];
    ssize_t r = read(ready_fd_, buf, sizeof buf);
    if (r <= 0 && !(r < 0 && errno == EINTR))
      return testing::AssertionFailure() << describe_failure("closed the ready pipe, not ready");
    if (r > 0) got.append(buf, static_cast<size_t>(r));
  }
  if (!all_sleeping) return testing::AssertionSuccess();
  auto spent = std::chrono::steady_clock::now() - start;
  return wait_all_sleeping(std::chrono::duration_cast<std::chrono::milliseconds>(timeout - spent));
}

testing::AssertionResult TargetProcess::wait_all_sleeping(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::string bad = threads_not_sleeping(pid_);
    if (bad.empty()) return testing::AssertionSuccess();
    if (std::chrono::steady_clock::now() > deadline)
      return testing::AssertionFailure() << describe_failure("threads not sleeping: " + bad);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::optional<int> TargetProcess::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      return status;
    }
    if (r < 0 && errno != EINTR) return std::nullopt;
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace e2e
