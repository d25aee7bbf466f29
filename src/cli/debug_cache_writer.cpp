#include "cli/debug_cache_writer.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "native/debug_cache.hpp"

namespace corostack {
namespace {

constexpr unsigned kWriterSeconds = 60;  // a stuck writer is killed, never waited on forever

struct Writer {
  pid_t pid = -1;
  int fd = -1;
  ~Writer() {
    if (pid <= 0) return;
    set_debug_cache_request_fd(-1);
    ::close(fd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
};

Writer g_writer;

[[noreturn]] void run_writer(int fd, const std::string& dir) {
  ::alarm(kWriterSeconds);
  FILE* in = ::fdopen(fd, "r");
  char* line = nullptr;
  size_t cap = 0;
  ssize_t n;
  while (in && (n = ::getline(&line, &cap, in)) > 0) {
    std::string s(line, static_cast<size_t>(n));
    if (!s.empty() && s.back() == '\n') s.pop_back();
    auto space = s.find(' ');
    if (space == std::string::npos) continue;
    // Errors only cost the cache entry: the command's output is done already.
    (void)cache_debug_file(dir, s.substr(0, space), s.substr(space + 1));
  }
  ::_exit(0);
}

}  // namespace

void start_debug_cache_writer() {
  if (g_writer.pid > 0) return;
  auto dir = debug_cache_dir();
  if (!dir) return;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return;
  }
  if (pid == 0) {
    ::close(fds[1]);
    // Not the target's business, and not a terminal's: a ^C goes to the command.
    ::signal(SIGINT, SIG_IGN);
    run_writer(fds[0], *dir);
  }
  ::close(fds[0]);
  // Requests never block the analysis: a full pipe drops one.
  ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
  g_writer.pid = pid;
  g_writer.fd = fds[1];
  set_debug_cache_request_fd(fds[1]);
}

}  // namespace corostack
