#pragma once
// FdNames for a live process: what `strace -y/-yy` shows between < and >.
// -y: the /proc/TID/fd/N link ("/etc/hostname", "pipe:[88213]",
// "socket:[4242]"); AT_FDCWD is the cwd. -yy adds socket endpoints: AF_UNIX
// peers and names from sock_diag ("UNIX-STREAM:[4242->4241,\"/run/x.sock\"]",
// "UNIX:[4243,@\"abstract\"]", see unix_sock_diag.hpp), others from
// /proc/TID/net ("TCP:[127.0.0.1:8080->127.0.0.1:51234]"), which is also the
// AF_UNIX fallback; and device numbers ("/dev/null<char 1:3>"). Links and
// sock_diag answers are re-read on every call (an fd may be closed and
// reopened, a socket connected, between two calls); only the /proc/net
// tables are cached, until the next new_batch() or a lookup that misses.
#include <sys/types.h>

#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "target/target.hpp"
#include "trace/syscall_decode.hpp"

namespace corostack::trace {

class ProcFdNames : public FdNames {
 public:
  explicit ProcFdNames(std::string proc_root = "/proc") : root_(std::move(proc_root)) {}
  std::string describe(pid_t tid, int fd, int detail) const override;
  // Forget the cached socket tables: the writers call it for each call.
  void new_batch() const { sockets_.clear(); }
  void new_call() const override { new_batch(); }

 private:
  std::string socket_text(pid_t tid, const std::string& fd_path, unsigned long inode) const;
  void load_sockets(pid_t tid) const;

  std::string root_;
  mutable std::unordered_map<unsigned long, std::string> sockets_;  // inode -> text
};

// What names a target's fds the way -yy does: /proc for a live process, the
// COROSTACK fds note for a core written by `corostack gcore` (nothing for
// other cores). The target must outlive it.
std::function<std::string(pid_t tid, int fd)> fd_namer_for(const Target& target);

// Every open fd of process `pid` with its -yy text, in fd order (at most
// 65536): what `corostack gcore` records so a core can name fds too.
std::vector<std::pair<int, std::string>> open_fd_table(pid_t pid);

// Parsers of /proc/net tables, exposed for tests: each adds "inode -> text"
// entries. `proto` is "TCP", "UDP" (IPv6 tables get a "v6" suffix). Unix
// entries have no peer (the table has none) and are named as the kernel
// names the protocol: "UNIX-STREAM", else "UNIX".
void parse_proc_net_inet(std::string_view table, std::string_view proto, bool v6,
                         std::unordered_map<unsigned long, std::string>& out);
void parse_proc_net_unix(std::string_view table,
                         std::unordered_map<unsigned long, std::string>& out);

}  // namespace corostack::trace
