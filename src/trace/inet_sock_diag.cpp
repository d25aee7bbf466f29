#include "trace/inet_sock_diag.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <limits>

namespace corostack::trace {
namespace {

// A dump of every socket of a family: enough datagrams for ~100k sockets.
constexpr int kMaxReads = 256;

std::string endpoint(uint8_t family, const __be32 addr[4], __be16 port) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, addr, text, sizeof text);
  uint16_t p = ntohs(port);
  return family == AF_INET6 ? fmt::format("[{}]:{}", text, p) : fmt::format("{}:{}", text, p);
}

bool any(const __be32 addr[4], __be16 port) {
  return port != 0 || addr[0] != 0 || addr[1] != 0 || addr[2] != 0 || addr[3] != 0;
}

}  // namespace

DiagStatus parse_inet_diag_reply(std::span<const uint8_t> data, uint32_t seq, uint32_t inode,
                                 InetSockInfo& out) {
  return for_each_diag_message(data, seq, [&](std::span<const uint8_t> body) {
    inet_diag_msg msg{};
    if (!diag_read_at(body, 0, msg)) return DiagStatus::kFailed;
    if (msg.idiag_inode != inode) return DiagStatus::kIncomplete;
    if (msg.idiag_family != AF_INET && msg.idiag_family != AF_INET6) return DiagStatus::kFailed;
    out.local = endpoint(msg.idiag_family, msg.id.idiag_src, msg.id.idiag_sport);
    out.remote = any(msg.id.idiag_dst, msg.id.idiag_dport)
                     ? endpoint(msg.idiag_family, msg.id.idiag_dst, msg.id.idiag_dport)
                     : std::string();
    return DiagStatus::kFound;
  });
}

std::optional<InetSockInfo> query_inet_sock(std::string_view proto, unsigned long inode) {
  if (inode == 0 || inode > std::numeric_limits<uint32_t>::max()) return std::nullopt;
  uint8_t family = 0, protocol = 0;
  if (proto == "TCP" || proto == "TCPv6") protocol = IPPROTO_TCP;
  if (proto == "UDP" || proto == "UDPv6") protocol = IPPROTO_UDP;
  family = proto.ends_with("v6") ? AF_INET6 : AF_INET;
  if (protocol == 0) return std::nullopt;
  struct {
    nlmsghdr nlh;
    inet_diag_req_v2 req;
  } request{};
  request.nlh.nlmsg_len = sizeof request;
  request.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  request.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;  // by inode needs the address: dump
  request.req.sdiag_family = family;
  request.req.sdiag_protocol = protocol;
  request.req.idiag_states = ~0u;  // bound-only (TCP_CLOSE) sockets too
  request.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  request.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  InetSockInfo info;
  bool found = sock_diag_exchange(std::span(reinterpret_cast<uint8_t*>(&request), sizeof request),
                                  kMaxReads, [&](std::span<const uint8_t> reply, uint32_t seq) {
                                    return parse_inet_diag_reply(
                                        reply, seq, static_cast<uint32_t>(inode), info);
                                  });
  if (!found) return std::nullopt;
  return info;
}

}  // namespace corostack::trace
