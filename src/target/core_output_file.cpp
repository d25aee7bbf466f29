#include "target/core_output_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "target/proc_fs.hpp"

namespace corostack {
namespace {

Error os_error(const std::string& what, int err) {
  return make_error(errno_kind(err), what + ": " + std::strerror(err));
}

}  // namespace

CoreOutputFile::CoreOutputFile(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp") {}

CoreOutputFile::~CoreOutputFile() {
  if (fd_ >= 0) ::close(fd_);
  if (created_ && !committed_) ::unlink(tmp_.c_str());
}

Status CoreOutputFile::open() {
  // A stale temp file (or a symlink planted there) is replaced, never followed.
  ::unlink(tmp_.c_str());
  // 0600: a core holds the target's secrets, whoever it belongs to.
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd_ < 0) return os_error("cannot create " + tmp_, errno);
  created_ = true;
  return ok_status();
}

Status CoreOutputFile::write_at(uint64_t offset, const std::vector<std::byte>& bytes) {
  for (size_t done = 0; done < bytes.size();) {
    ssize_t n =
        ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return os_error("writing " + tmp_, n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  return ok_status();
}

Status CoreOutputFile::commit(uint64_t size) {
  if (auto st = finish(size); !st) return st;
  return rename_into_place();
}

Status CoreOutputFile::finish(uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return os_error("writing " + tmp_, errno);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return os_error("writing " + tmp_, errno);
  return ok_status();
}

void CoreOutputFile::discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(tmp_.c_str());
  created_ = false;
}

Status CoreOutputFile::rename_into_place() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (::rename(tmp_.c_str(), path_.c_str()) != 0)
    return os_error("cannot rename " + tmp_ + " to " + path_, errno);
  committed_ = true;
  return ok_status();
}

}  // namespace corostack
