// Socket calls. Addresses the kernel fills (accept, recvfrom,
// getsockname) are read at exit with the length it wrote back.
#include <fmt/format.h>

#include "trace/decode_registry.hpp"
#include "trace/decode_sockaddr.hpp"
#include "trace/xlat_net.hpp"

namespace corostack::trace {
namespace {

std::string family(const Ctx& c, int i) {
  return format_enum(c.arg(i) & 0xffffffff, kAddressFamilies, "AF_???");
}
std::string sock_type(const Ctx& c, int i) {
  return format_socket_type(c.arg(i) & 0xffffffff);
}
std::string protocol(const Ctx& c, int i) {
  return format_socket_protocol(c.arg(0) & 0xffffffff, c.arg(i) & 0xffffffff);
}
std::string sock_flags(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kSocketTypeFlags);
}
std::string msg_flags(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kMsgFlags);
}
std::string shut_how(const Ctx& c, int i) {
  return format_enum(c.arg(i) & 0xffffffff, kShutdownHow, "SHUT_???");
}

// Address given by the caller, its length in the next argument.
std::string addr_in(const Ctx& c, int i) {
  return fmt_sockaddr(c, c.arg(i), static_cast<int32_t>(c.arg(i + 1)));
}

// Address filled by the kernel, its length written to *arg(i + 1).
std::string addr_out(const Ctx& c, int i) {
  if (c.arg(i) == 0) return "NULL";
  if (!c.exiting || c.failed()) return fmt_ptr(c.arg(i));
  auto len = c.read_obj<int32_t>(c.arg(i + 1));
  return len ? fmt_sockaddr(c, c.arg(i), *len) : fmt_ptr(c.arg(i));
}

std::string socket_pair(const Ctx& c, int i) {
  if (c.failed()) return fmt_ptr(c.arg(i));
  auto fds = c.read_obj<std::array<int32_t, 2>>(c.arg(i));
  if (!fds) return fmt_ptr(c.arg(i));
  return fmt::format("[{}, {}]", fmt_fd(c, (*fds)[0]), fmt_fd(c, (*fds)[1]));
}

std::string level(const Ctx& c, int i) {
  return format_enum(c.arg(i) & 0xffffffff, kSockoptLevels, "SOL_???");
}
std::string optname(const Ctx& c, int i) {
  auto table = sockopt_names(c.arg(1) & 0xffffffff);
  if (table.empty()) return fmt_int(c.iarg(i));
  return format_enum(c.arg(i) & 0xffffffff, table, "???");
}

// Option values: an int when four bytes long (the usual case), else bytes.
std::string optval(const Ctx& c, uint64_t addr, int64_t len) {
  if (len == 4) return fmt_int_ptr(c, addr);
  if (len < 0) return fmt_ptr(addr);
  return fmt_buffer(c, addr, static_cast<uint64_t>(len));
}
std::string optval_in(const Ctx& c, int i) {
  return optval(c, c.arg(i), static_cast<int32_t>(c.arg(i + 1)));
}
std::string optval_out(const Ctx& c, int i) {
  if (!c.exiting || c.failed()) return fmt_ptr(c.arg(i));
  auto len = c.read_obj<int32_t>(c.arg(i + 1));
  return len ? optval(c, c.arg(i), *len) : fmt_ptr(c.arg(i));
}

// msghdr (x86-64 layout) with its iovecs; the data shown is at most
// `data_left` bytes (the return value of recvmsg).
struct MsgHdr {
  uint64_t name;
  uint32_t namelen, pad;
  uint64_t iov, iovlen, control, controllen;
  int32_t flags, pad2;
};

std::string cmsgs(const Ctx& c, const MsgHdr& m);

std::string msghdr(const Ctx& c, uint64_t addr, uint64_t data_left) {
  auto m = c.read_obj<MsgHdr>(addr);
  if (!m) return fmt_ptr(addr);
  std::string out = "{msg_name=";
  out += m->name ? fmt_sockaddr(c, m->name, m->namelen) : "NULL";
  out += fmt::format(", msg_namelen={}, msg_iov={}, msg_iovlen={}", m->namelen,
                     fmt_iovec(c, m->iov, m->iovlen, data_left), m->iovlen);
  if (m->controllen != 0) out += ", msg_control=" + cmsgs(c, *m);
  out += fmt::format(", msg_controllen={}, msg_flags={}}}", m->controllen,
                     format_flags(static_cast<uint32_t>(m->flags), kMsgFlags));
  return out;
}

constexpr Xlat kScmTypes[] = {{1, "SCM_RIGHTS"}, {2, "SCM_CREDENTIALS"}, {3, "SCM_SECURITY"}};

std::string cmsg_data(const Ctx& c, int level, int type, uint64_t data, uint64_t len) {
  if (level == 1 && type == 1) {  // SCM_RIGHTS: a list of fds
    std::string out = "[";
    for (uint64_t i = 0; i * 4 + 4 <= len; ++i) {
      if (i >= c.max_elements()) {
        out += ", ...";
        break;
      }
      auto fd = c.read_obj<int32_t>(data + i * 4);
      if (!fd) break;
      if (i > 0) out += ", ";
      out += fmt_fd(c, *fd);
    }
    return out + "]";
  }
  return fmt_buffer(c, data, len);
}

// Control messages, bounded by msg_controllen and by the element limit.
std::string cmsgs(const Ctx& c, const MsgHdr& m) {
  struct Cmsg {
    uint64_t len;
    int32_t level, type;
  };
  std::string out = "[";
  uint64_t off = 0;
  for (size_t n = 0; off + sizeof(Cmsg) <= m.controllen; ++n) {
    if (n >= c.max_elements()) {
      out += ", ...";
      break;
    }
    auto h = c.read_obj<Cmsg>(m.control + off);
    if (!h || h->len < sizeof(Cmsg) || h->len > m.controllen - off) {
      if (n == 0) return fmt_ptr(m.control);
      break;
    }
    if (n > 0) out += ", ";
    out += fmt::format(
        "{{cmsg_len={}, cmsg_level={}, cmsg_type={}, cmsg_data={}}}", h->len,
        format_enum(static_cast<uint32_t>(h->level), kSockoptLevels, "SOL_???"),
        h->level == 1 ? format_enum(static_cast<uint32_t>(h->type), kScmTypes, "SCM_???")
                      : hex(static_cast<uint32_t>(h->type)),
        cmsg_data(c, h->level, h->type, m.control + off + sizeof(Cmsg), h->len - sizeof(Cmsg)));
    off += (h->len + 7) & ~uint64_t{7};
  }
  return out + "]";
}

std::string msg_in(const Ctx& c, int i) {
  return msghdr(c, c.arg(i), ~uint64_t{0});
}
std::string msg_out(const Ctx& c, int i) {
  if (!c.exiting || c.failed()) return fmt_ptr(c.arg(i));
  return msghdr(c, c.arg(i), static_cast<uint64_t>(c.ret));
}

}  // namespace

std::span<const Decoder> net_decoders() {
  using namespace arg;
  constexpr auto kFd = RetKind::kFd;
  static const Decoder kDecoders[] = {
      {.name = "socket", .args = {family, sock_type, protocol}, .ret = kFd},
      {.name = "socketpair", .args = {family, sock_type, protocol, socket_pair}, .exit_from = 3},
      {.name = "bind", .args = {fd, addr_in, int_}},
      {.name = "connect", .args = {fd, addr_in, int_}},
      {.name = "listen", .args = {fd, int_}},
      {.name = "accept", .args = {fd, addr_out, int_ptr}, .exit_from = 1, .ret = kFd},
      {.name = "accept4", .args = {fd, addr_out, int_ptr, sock_flags}, .exit_from = 1, .ret = kFd},
      {.name = "getsockname", .args = {fd, addr_out, int_ptr}, .exit_from = 1},
      {.name = "getpeername", .args = {fd, addr_out, int_ptr}, .exit_from = 1},
      {.name = "sendto", .args = {fd, buf_in, ulong, msg_flags, addr_in, int_}},
      {.name = "recvfrom",
       .args = {fd, buf_out, ulong, msg_flags, addr_out, int_ptr},
       .exit_from = 1},
      {.name = "sendmsg", .args = {fd, msg_in, msg_flags}},
      {.name = "recvmsg", .args = {fd, msg_out, msg_flags}, .exit_from = 1},
      {.name = "shutdown", .args = {fd, shut_how}},
      {.name = "setsockopt", .args = {fd, level, optname, optval_in, int_}},
      {.name = "getsockopt", .args = {fd, level, optname, optval_out, int_ptr}, .exit_from = 3},
  };
  return kDecoders;
}

}  // namespace corostack::trace
