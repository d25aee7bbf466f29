#include "target/proc_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace corostack {

ErrorKind errno_kind(int err) {
  switch (err) {
    case ENOENT:
    case ESRCH:
      return ErrorKind::kNotFound;
    case EPERM:
    case EACCES:
      return ErrorKind::kPermission;
    case EFAULT:
    case EIO:
      return ErrorKind::kUnreadable;
    default:
      return ErrorKind::kIo;
  }
}

Result<std::string> read_text_file(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return make_error(errno_kind(e), path + ": " + std::strerror(e));
  }
  std::string out;
  char buf[16384];
  while (out.size() < max_bytes) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return make_error(errno_kind(e), path + ": " + std::strerror(e));
    }
    if (n == 0) break;
    out.append(buf, std::min(static_cast<size_t>(n), max_bytes - out.size()));
  }
  ::close(fd);
  return out;
}

Result<std::vector<pid_t>> list_tasks(pid_t pid) {
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    int e = errno;
    return make_error(errno_kind(e), dir + ": " + std::strerror(e));
  }
  std::vector<pid_t> tids;
  while (dirent* ent = ::readdir(d)) {
    pid_t tid = 0;
    const char* s = ent->d_name;
    auto [p, ec] = std::from_chars(s, s + std::strlen(s), tid);
    if (ec == std::errc() && *p == '\0' && tid > 0) tids.push_back(tid);
  }
  ::closedir(d);
  std::sort(tids.begin(), tids.end());
  return tids;
}

Result<ProcStat> parse_proc_stat(const std::string& text) {
  // "pid (comm) S ppid ..." where comm may itself contain ')' and spaces:
  // the comm ends at the last ')'.
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open ||
      close + 2 >= text.size())
    return make_error(ErrorKind::kCorrupt, "malformed stat");
  ProcStat st;
  st.comm = text.substr(open + 1, close - open - 1);
  st.state = text[close + 2];
  // Fields after the state: ppid pgrp session tty_nr tpgid flags ...
  size_t pos = close + 4;  // first character of ppid
  for (int field = 0; field < 5; ++field) {
    pos = text.find(' ', pos);
    if (pos == std::string::npos) return make_error(ErrorKind::kCorrupt, "malformed stat");
    ++pos;
  }
  uint64_t flags = 0;
  std::from_chars(text.data() + pos, text.data() + text.size(), flags);
  st.flags = flags;
  return st;
}

Result<ProcStat> read_proc_stat(pid_t pid, pid_t tid) {
  std::string path = "/proc/" + std::to_string(pid);
  if (tid) path += "/task/" + std::to_string(tid);
  auto text = read_text_file(path + "/stat", 4096);
  if (!text) return text.error();
  return parse_proc_stat(*text);
}

}  // namespace corostack
