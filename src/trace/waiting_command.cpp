#include "trace/waiting_command.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "target/caller_identity.hpp"

namespace corostack::trace {
namespace {

// Where execvp would find `name`, or an error saying why not.
Result<std::string> find_program(const std::string& name) {
  auto runnable = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) {
    if (runnable(name)) return name;
    return make_error(ErrorKind::kNotFound, "cannot run " + name + ": " + std::strerror(errno));
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (runnable(candidate)) return candidate;
    start = end + 1;
  }
  return make_error(ErrorKind::kNotFound, "cannot find " + name + " on PATH");
}

// In the child: wait for the byte, then exec; never returns.
[[noreturn]] void child(int go_read, int ready_write, pid_t parent, const std::string& path,
                        const std::vector<std::string>& argv) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);
  // A corostack that became its caller is not dumpable, nor is this copy of
  // it until exec: made dumpable before the parent attaches, so the caller's
  // own rights suffice (caller_identity.hpp).
  if (caller_identity().secure) ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  (void)!::write(ready_write, "r", 1);
  ::close(ready_write);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  char byte;
  ssize_t n;
  do n = ::read(go_read, &byte, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) ::_exit(127);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The caller's command, with the caller's rights: none of a privileged
  // corostack's capabilities.
  if (!drop_all_capabilities_in_child()) ::_exit(127);
  ::execve(path.c_str(), args.data(), environment_for_commands());
  std::string msg = "corostack: cannot run " + path + ": " + std::strerror(errno) + "\n";
  (void)!::write(2, msg.data(), msg.size());
  ::_exit(127);
}

}  // namespace

Result<WaitingCommand> WaitingCommand::fork(const std::vector<std::string>& argv) {
  if (argv.empty()) return make_error(ErrorKind::kUsage, "no command");
  auto path = find_program(argv[0]);
  if (!path) return path.error();
  int go[2], ready[2];
  if (::pipe2(go, O_CLOEXEC) != 0)
    return make_error(ErrorKind::kIo, std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(go[0]);
    ::close(go[1]);
    return make_error(ErrorKind::kIo, std::string("pipe: ") + std::strerror(e));
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    for (int fd : {go[0], go[1], ready[0], ready[1]}) ::close(fd);
    return make_error(ErrorKind::kIo, std::string("fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    ::close(go[1]);
    ::close(ready[0]);
    child(go[0], ready[1], parent, *path, argv);
  }
  ::close(go[0]);
  ::close(ready[1]);
  char byte;
  while (::read(ready[0], &byte, 1) < 0 && errno == EINTR) {
  }
  ::close(ready[0]);
  return WaitingCommand(pid, go[1]);
}

WaitingCommand::WaitingCommand(WaitingCommand&& other) noexcept
    : pid_(other.pid_), go_fd_(other.go_fd_) {
  other.go_fd_ = -1;
}

WaitingCommand::~WaitingCommand() {
  if (go_fd_ < 0) return;
  ::close(go_fd_);  // the child's read ends: it exits 127
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

void WaitingCommand::go() {
  if (go_fd_ < 0) return;
  (void)!::write(go_fd_, "g", 1);
  ::close(go_fd_);
  go_fd_ = -1;
}

}  // namespace corostack::trace
