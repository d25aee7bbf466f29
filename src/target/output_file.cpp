#include "target/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace corostack {
namespace {

Error refused(const std::string& path, const std::string& why) {
  return make_error(ErrorKind::kPermission, "refusing to write " + path + ": " + why);
}

Error os_error(const std::string& path, int err) {
  return make_error(err == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo,
                    "cannot write " + path + ": " + std::strerror(err));
}

std::string parent_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// protected_symlinks: in a sticky world-writable directory, follow a link
// only if its owner is the follower or the directory's owner.
bool may_follow_link(const struct stat& link, const struct stat& dir) {
  bool shared = (dir.st_mode & S_ISVTX) && (dir.st_mode & S_IWOTH);
  return !shared || link.st_uid == ::geteuid() || link.st_uid == dir.st_uid;
}

}  // namespace

Result<int> open_output_file(const std::string& path, mode_t mode) {
  if (path.empty()) return make_error(ErrorKind::kUsage, "empty output path");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd >= 0) return fd;
  if (errno != EEXIST) return os_error(path, errno);

  // Something is there already: look at what before opening it.
  fd = ::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0 && errno == ELOOP) {
    struct stat link {
    }, dir{};
    if (::lstat(path.c_str(), &link) != 0 || ::stat(parent_of(path).c_str(), &dir) != 0)
      return os_error(path, errno);
    if (!may_follow_link(link, dir))
      return refused(path, "it is a symbolic link another user made in a shared directory");
    fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  }
  if (fd < 0) return os_error(path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return os_error(path, e);
  }
  if (S_ISREG(st.st_mode)) {
    if (st.st_uid != ::geteuid()) {
      ::close(fd);
      return refused(path, "it belongs to uid " + std::to_string(st.st_uid) +
                               ", not to you; remove it or choose another name");
    }
    // A file for secrets (0600) that had looser permissions is narrowed first.
    if (mode == 0600 && (st.st_mode & 077) != 0 && ::fchmod(fd, st.st_mode & 0700) != 0) {
      int e = errno;
      ::close(fd);
      return os_error(path, e);
    }
    if (::ftruncate(fd, 0) != 0) {
      int e = errno;
      ::close(fd);
      return os_error(path, e);
    }
  } else if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return os_error(path, EISDIR);
  }
  // Blocking writes from here on (O_NONBLOCK only kept a FIFO's open from hanging).
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) (void)::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

}  // namespace corostack
