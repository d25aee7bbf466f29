// NETLINK_SOCK_DIAG lookups of AF_UNIX sockets by inode.
#include "trace/unix_sock_diag.hpp"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <limits>

#include "trace/decode_quote.hpp"

namespace corostack::trace {
namespace {

constexpr size_t kMaxName = sizeof(sockaddr_un{}.sun_path);
constexpr int kMaxReads = 4;  // datagrams read before giving up

// Attributes following the unix_diag_msg in one message's payload.
void parse_attributes(std::span<const uint8_t> attrs, UnixSockInfo& out) {
  bool have_name = false;
  size_t off = 0;
  nlattr attr{};
  while (diag_read_at(attrs, off, attr)) {
    if (attr.nla_len < NLA_HDRLEN || attr.nla_len > attrs.size() - off) break;
    std::span<const uint8_t> payload = attrs.subspan(off + NLA_HDRLEN, attr.nla_len - NLA_HDRLEN);
    switch (attr.nla_type & NLA_TYPE_MASK) {
      case UNIX_DIAG_NAME:
        if (!have_name) {
          have_name = true;
          size_t n = std::min(payload.size(), kMaxName);
          out.name.assign(reinterpret_cast<const char*>(payload.data()), n);
        }
        break;
      case UNIX_DIAG_PEER:
        diag_read_at(payload, 0, out.peer);
        break;
      default:
        break;
    }
    off += NLA_ALIGN(attr.nla_len);
  }
}

}  // namespace

UnixDiagStatus parse_unix_diag_reply(std::span<const uint8_t> data, uint32_t seq, uint32_t inode,
                                     UnixSockInfo& out) {
  return for_each_diag_message(data, seq, [&](std::span<const uint8_t> body) {
    unix_diag_msg msg{};
    if (!diag_read_at(body, 0, msg)) return DiagStatus::kFailed;
    if (msg.udiag_family != AF_UNIX || msg.udiag_ino != inode) return DiagStatus::kIncomplete;
    out = UnixSockInfo{};
    parse_attributes(body.subspan(std::min(body.size(), size_t{NLMSG_ALIGN(sizeof msg)})), out);
    return DiagStatus::kFound;
  });
}

std::optional<UnixSockInfo> query_unix_sock(unsigned long inode) {
  if (inode == 0 || inode > std::numeric_limits<uint32_t>::max()) return std::nullopt;
  struct {
    nlmsghdr nlh;
    unix_diag_req req;
  } request{};
  request.nlh.nlmsg_len = sizeof request;
  request.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  request.nlh.nlmsg_flags = NLM_F_REQUEST;  // one socket, by inode: no dump
  request.req.sdiag_family = AF_UNIX;
  request.req.udiag_states = ~0u;
  request.req.udiag_ino = static_cast<uint32_t>(inode);
  request.req.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER;
  request.req.udiag_cookie[0] = INET_DIAG_NOCOOKIE;
  request.req.udiag_cookie[1] = INET_DIAG_NOCOOKIE;
  UnixSockInfo info;
  bool found = sock_diag_exchange(std::span(reinterpret_cast<uint8_t*>(&request), sizeof request),
                                  kMaxReads, [&](std::span<const uint8_t> reply, uint32_t seq) {
                                    return parse_unix_diag_reply(
                                        reply, seq, static_cast<uint32_t>(inode), info);
                                  });
  if (!found) return std::nullopt;
  return info;
}

std::string format_unix_sock(std::string_view proto, unsigned long inode,
                             const UnixSockInfo& info) {
  std::string text = escape_plain(proto, "<>") + ":[" + std::to_string(inode);
  if (info.peer != 0) text += "->" + std::to_string(info.peer);
  if (!info.name.empty()) {
    std::string_view name = info.name;
    text += ',';
    if (name[0] == '\0') {  // abstract: '@', then the name after the NUL
      text += '@';
      name.remove_prefix(1);
    }
    name = name.substr(0, name.find('\0'));  // strace quotes up to a NUL
    text += quote_bytes(std::span(reinterpret_cast<const uint8_t*>(name.data()), name.size()), 0,
                        false);
  }
  return text + "]";
}

}  // namespace corostack::trace
