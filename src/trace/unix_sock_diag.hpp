#pragma once
// AF_UNIX socket details from the kernel's NETLINK_SOCK_DIAG interface (the
// one `ss -x` uses): the peer's inode and the bound name, which `strace -yy`
// shows as "UNIX-STREAM:[91821->91820,\"/run/x.sock\"]". The query asks the
// network namespace of the calling process; sockets of another namespace are
// not found (the caller falls back to /proc/TID/net/unix).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "trace/sock_diag.hpp"

namespace corostack::trace {

struct UnixSockInfo {
  uint32_t peer = 0;  // 0: not connected
  std::string name;   // UNIX_DIAG_NAME bytes: "" unbound, '\0' first when abstract
};

// One SOCK_DIAG_BY_FAMILY request for this inode, bounded by a receive
// timeout and a few reads. nullopt when the kernel does not know the socket
// or on any error.
std::optional<UnixSockInfo> query_unix_sock(unsigned long inode);

// The reply parser, exposed for tests: walks the netlink messages of one
// datagram, skipping those of other sequence numbers or inodes.
using UnixDiagStatus = DiagStatus;
UnixDiagStatus parse_unix_diag_reply(std::span<const uint8_t> data, uint32_t seq, uint32_t inode,
                                     UnixSockInfo& out);

// strace's text: PROTO:[INODE], then "->PEER" when connected, then
// ",\"path\"" or ",@\"abstract\"" when bound (the name stops at a NUL).
std::string format_unix_sock(std::string_view proto, unsigned long inode, const UnixSockInfo& info);

}  // namespace corostack::trace
