// Live fd descriptions from /proc, escaped as strace escapes them.
#include "trace/proc_fd_names.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <memory>
#include <vector>

#include "target/core_file.hpp"
#include "trace/decode_quote.hpp"
#include "trace/inet_sock_diag.hpp"
#include "trace/unix_sock_diag.hpp"

namespace corostack::trace {
namespace {

constexpr size_t kMaxTable = 4 << 20;  // bounded read of one /proc/net file

std::string read_link(const std::string& path) {
  std::array<char, 4096> buf;
  ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size());
  if (n <= 0) return {};
  return std::string(buf.data(), static_cast<size_t>(n));
}

std::string read_bounded(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string out;
  std::array<char, 65536> buf;
  while (out.size() < kMaxTable) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n <= 0) break;
    out.append(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

template <typename F>
void each_line(std::string_view text, F&& f) {
  size_t start = text.find('\n');  // the header line
  while (start != std::string_view::npos && start + 1 < text.size()) {
    size_t end = text.find('\n', start + 1);
    f(text.substr(start + 1, (end == std::string_view::npos ? text.size() : end) - start - 1));
    start = end;
  }
}

bool parse_hex(std::string_view s, uint32_t& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  return ec == std::errc() && p == s.data() + s.size();
}

// "0100007F:1F90" (IPv4) or 32 hex digits (IPv6), words in host order.
bool endpoint(std::string_view s, bool v6, std::string& out, bool& any) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view addr = s.substr(0, colon);
  uint32_t port = 0;
  if (!parse_hex(s.substr(colon + 1), port) || addr.size() != (v6 ? 32u : 8u)) return false;
  std::array<uint32_t, 4> words{};
  for (size_t w = 0; w < addr.size() / 8; ++w)
    if (!parse_hex(addr.substr(w * 8, 8), words[w])) return false;
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(v6 ? AF_INET6 : AF_INET, words.data(), text, sizeof text);
  any = port != 0 || words[0] != 0 || words[1] != 0 || words[2] != 0 || words[3] != 0;
  out = v6 ? fmt::format("[{}]:{}", text, port) : fmt::format("{}:{}", text, port);
  return true;
}

}  // namespace

void parse_proc_net_inet(std::string_view table, std::string_view proto, bool v6,
                         std::unordered_map<unsigned long, std::string>& out) {
  each_line(table, [&](std::string_view line) {
    auto f = fields(line);
    if (f.size() < 10) return;
    std::string local, remote;
    bool local_any = false, remote_any = false;
    if (!endpoint(f[1], v6, local, local_any) || !endpoint(f[2], v6, remote, remote_any)) return;
    unsigned long inode = 0;
    auto [p, ec] = std::from_chars(f[9].data(), f[9].data() + f[9].size(), inode);
    if (ec != std::errc() || inode == 0) return;
    std::string text = fmt::format("{}{}:[{}", proto, v6 ? "v6" : "", local);
    if (remote_any) text += "->" + remote;
    out[inode] = text + "]";
  });
}

void parse_proc_net_unix(std::string_view table,
                         std::unordered_map<unsigned long, std::string>& out) {
  // Num RefCount Protocol Flags Type St Inode [Path]
  each_line(table, [&](std::string_view line) {
    auto f = fields(line);
    if (f.size() < 7) return;
    unsigned long inode = 0;
    auto [p, ec] = std::from_chars(f[6].data(), f[6].data() + f[6].size(), inode);
    if (ec != std::errc() || inode == 0) return;
    // The kernel's protocol names (system.sockprotoname): SOCK_DGRAM and
    // SOCK_SEQPACKET sockets are plain "UNIX".
    UnixSockInfo info;
    if (f.size() >= 8) {  // the path runs to the end of the line (it may hold spaces)
      info.name = line.substr(static_cast<size_t>(f[7].data() - line.data()));
      if (info.name[0] == '@') info.name[0] = '\0';  // abstract
    }
    out[inode] = format_unix_sock(f[4] == "0001" ? "UNIX-STREAM" : "UNIX", inode, info);
  });
}

void ProcFdNames::load_sockets(pid_t tid) const {
  std::string net = fmt::format("{}/{}/net/", root_, tid);
  parse_proc_net_inet(read_bounded(net + "tcp"), "TCP", false, sockets_);
  parse_proc_net_inet(read_bounded(net + "tcp6"), "TCP", true, sockets_);
  parse_proc_net_inet(read_bounded(net + "udp"), "UDP", false, sockets_);
  parse_proc_net_inet(read_bounded(net + "udp6"), "UDP", true, sockets_);
  parse_proc_net_unix(read_bounded(net + "unix"), sockets_);
}

std::string ProcFdNames::socket_text(pid_t tid, const std::string& fd_path,
                                     unsigned long inode) const {
  // The protocol name the kernel keeps ("TCP", "UNIX-STREAM", "UNIX", ...).
  std::array<char, 64> buf{};
  ssize_t n = ::getxattr(fd_path.c_str(), "system.sockprotoname", buf.data(), buf.size() - 1);
  std::string_view proto(buf.data(), n > 0 ? strnlen(buf.data(), static_cast<size_t>(n)) : 0);
  // AF_UNIX: the peer and the name from sock_diag, asked afresh each time
  // (a socket may connect between two calls).
  if (proto == "UNIX" || proto.starts_with("UNIX-")) {
    if (auto info = query_unix_sock(inode)) return format_unix_sock(proto, inode, *info);
  }
  auto it = sockets_.find(inode);
  if (it == sockets_.end()) {  // a socket newer than the cache
    load_sockets(tid);
    it = sockets_.find(inode);
  }
  if (it != sockets_.end()) {
    const std::string& text = it->second;
    if (proto.empty() || !text.starts_with("UNIX")) return text;
    return escape_plain(proto, "<>") + text.substr(text.find(':'));  // the kernel's name
  }
  // Not listed: a TCP socket bound and neither listening nor connected is
  // only in the kernel's bind table, which inet_diag's dump shows.
  if (auto info = query_inet_sock(proto, inode)) {
    std::string text = escape_plain(proto, "<>") + ":[" + info->local;
    if (!info->remote.empty()) text += "->" + info->remote;
    return text + "]";
  }
  // Unbound: just the protocol.
  if (!proto.empty()) return fmt::format("{}:[{}]", escape_plain(proto, "<>"), inode);
  return fmt::format("socket:[{}]", inode);
}

std::string ProcFdNames::describe(pid_t tid, int fd, int detail) const {
  if (detail <= 0) return {};
  std::string path = fd == -100 ? fmt::format("{}/{}/cwd", root_, tid)
                                : fmt::format("{}/{}/fd/{}", root_, tid, fd);
  if (fd < 0 && fd != -100) return {};
  std::string link = read_link(path);
  if (link.empty()) return {};
  if (detail >= 2 && link.rfind("socket:[", 0) == 0) {
    unsigned long inode = std::strtoul(link.c_str() + 8, nullptr, 10);
    return socket_text(tid, path, inode);
  }
  std::string text = escape_plain(link, "<>");
  struct stat st {};
  if (detail >= 2 && link[0] == '/' && ::stat(path.c_str(), &st) == 0 &&
      (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
    text += fmt::format("<{} {}:{}>", S_ISCHR(st.st_mode) ? "char" : "block", major(st.st_rdev),
                        minor(st.st_rdev));
  }
  return text;
}

std::vector<std::pair<int, std::string>> open_fd_table(pid_t pid) {
  constexpr size_t kMaxFds = 1 << 16;
  std::vector<std::pair<int, std::string>> out;
  std::string dir = fmt::format("/proc/{}/fd", pid);
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  std::vector<int> fds;
  while (dirent* e = ::readdir(d)) {
    int fd = 0;
    auto [p, ec] = std::from_chars(e->d_name, e->d_name + std::strlen(e->d_name), fd);
    if (ec == std::errc() && *p == '\0' && fds.size() < kMaxFds) fds.push_back(fd);
  }
  ::closedir(d);
  std::sort(fds.begin(), fds.end());
  ProcFdNames names;
  for (int fd : fds) {
    std::string text = names.describe(pid, fd, 2);
    if (!text.empty()) out.emplace_back(fd, std::move(text));
  }
  return out;
}

std::function<std::string(pid_t, int)> fd_namer_for(const Target& target) {
  if (target.kind() == TargetKind::kLive) {
    auto names = std::make_shared<ProcFdNames>();
    return [names](pid_t tid, int fd) { return names->describe(tid, fd, 2); };
  }
  if (const auto* core = dynamic_cast<const CoreFile*>(&target)) {
    const std::map<int, std::string>* fds = &core->notes().fds;
    return [fds](pid_t, int fd) {
      auto it = fds->find(fd);
      return it == fds->end() ? std::string() : it->second;
    };
  }
  return nullptr;
}

}  // namespace corostack::trace
