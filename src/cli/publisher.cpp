#include "cli/publisher.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace corostack {

Result<Publisher> Publisher::start(std::function<int(int read_fd)> publish,
                                   std::function<void()> give_up) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0)
    return make_error(ErrorKind::kIo, std::string("pipe: ") + std::strerror(errno));
  pid_t child = ::fork();
  if (child < 0) {
    int e = errno;
    ::close(p[0]);
    ::close(p[1]);
    return make_error(ErrorKind::kIo, std::string("fork: ") + std::strerror(e));
  }
  if (child == 0) {
    ::close(p[1]);
    char verdict = 0;
    while (::read(p[0], &verdict, 1) < 0 && errno == EINTR) {
    }
    if (verdict != 'y') {
      give_up();
      _exit(1);
    }
    _exit(publish(p[0]));
  }
  ::close(p[0]);
  return Publisher(child, p[1]);
}

Publisher::Publisher(Publisher&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), fd_(std::exchange(other.fd_, -1)) {}

Publisher::~Publisher() {
  if (pid_ > 0) give_up();
}

int Publisher::wait() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return status;
}

bool Publisher::publish(const std::string& payload) {
  std::string bytes = "y" + payload;
  bool sent = true;
  for (size_t done = 0; done < bytes.size();) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      sent = false;
      break;
    }
    done += static_cast<size_t>(n);
  }
  int status = wait();
  return sent && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void Publisher::give_up() {
  (void)wait();
}

}  // namespace corostack
