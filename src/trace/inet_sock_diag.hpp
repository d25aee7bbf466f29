#pragma once
// TCP and UDP socket endpoints from NETLINK_SOCK_DIAG (inet_diag, what `ss`
// uses), for the sockets /proc/net/tcp does not list: one bound and not yet
// listening or connected sits only in the kernel's bind table, yet strace
// -yy names it by its address ("TCP:[127.0.0.1:8080]"), as a dump of every
// state shows it. The query dumps the family's sockets of the calling
// process's network namespace and picks the inode.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "trace/sock_diag.hpp"

namespace corostack::trace {

struct InetSockInfo {
  std::string local;   // "127.0.0.1:8080" or "[::1]:8080"
  std::string remote;  // empty when not connected
};

// `proto` is the socket's protocol name as the kernel keeps it ("TCP",
// "TCPv6", "UDP", "UDPv6"); nullopt for another one, a socket the dump does
// not hold (unbound), or any error.
std::optional<InetSockInfo> query_inet_sock(std::string_view proto, unsigned long inode);

// The reply parser, exposed for tests: one datagram of the dump.
DiagStatus parse_inet_diag_reply(std::span<const uint8_t> data, uint32_t seq, uint32_t inode,
                                 InetSockInfo& out);

}  // namespace corostack::trace
