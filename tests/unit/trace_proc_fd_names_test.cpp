// ProcFdNames: /proc/net parsing and the live description of this process's fds.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "trace/inet_sock_diag.hpp"
#include "trace/proc_fd_names.hpp"
#include "trace/unix_sock_diag.hpp"

namespace corostack::trace {
namespace {

TEST(TraceProcFdNames, ParsesInetTables) {
  std::unordered_map<unsigned long, std::string> out;
  parse_proc_net_inet(
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
      "inode\n"
      "   0: 0100007F:82FD 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
      "21850 1\n"
      "   1: 0100007F:82FD 0100007F:EE28 01 00000000:00000000 00:00000000 00000000     0        0 "
      "21874 1\n"
      "garbage line\n",
      "TCP", false, out);
  EXPECT_EQ(out[21850], "TCP:[127.0.0.1:33533]");
  EXPECT_EQ(out[21874], "TCP:[127.0.0.1:33533->127.0.0.1:60968]");
  parse_proc_net_inet(
      "  sl  local_address                         remote_address                        st\n"
      "   0: 00000000000000000000000001000000:E031 00000000000000000000000000000000:0000 0A "
      "00000000:00000000 00:00000000 00000000     0        0 777 1\n",
      "TCP", true, out);
  EXPECT_EQ(out[777], "TCPv6:[[::1]:57393]");
}

TEST(TraceProcFdNames, ParsesUnixTable) {
  std::unordered_map<unsigned long, std::string> out;
  parse_proc_net_unix(
      "Num       RefCount Protocol Flags    Type St Inode Path\n"
      "0000000000000000: 00000002 00000000 00010000 0001 01 42904 /tmp/or/s.sock\n"
      "0000000000000000: 00000003 00000000 00000000 0002 03 42898\n"
      "0000000000000000: 00000002 00000000 00000000 0005 01 42899 @abs\n"
      "0000000000000000: 00000002 00000000 00010000 0001 01 42900 /tmp/a b<c>\n",
      out);
  EXPECT_EQ(out[42904], R"(UNIX-STREAM:[42904,"/tmp/or/s.sock"])");
  EXPECT_EQ(out[42898], "UNIX:[42898]");
  EXPECT_EQ(out[42899], R"(UNIX:[42899,@"abs"])");
  EXPECT_EQ(out[42900], R"(UNIX-STREAM:[42900,"/tmp/a b<c>"])");
}

TEST(TraceProcFdNames, DescribesLiveFdsAndNoticesReuse) {
  ProcFdNames names;
  pid_t self = ::getpid();
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  std::string first = names.describe(self, p[0], 1);
  EXPECT_EQ(first.rfind("pipe:[", 0), 0u) << first;
  ::close(p[0]);
  ::close(p[1]);
  EXPECT_EQ(names.describe(self, p[0], 1), "");
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(names.describe(self, -100, 1), cwd);
  EXPECT_EQ(names.describe(self, 0, 0), "");
}

// The socket inode of one of our fds, from its /proc/self/fd link.
unsigned long inode_of(int fd) {
  char link[64] = {};
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (::readlink(path.c_str(), link, sizeof link - 1) <= 0) return 0;
  unsigned long inode = 0;
  return std::sscanf(link, "socket:[%lu]", &inode) == 1 ? inode : 0;
}

// system.sockprotoname: "UNIX-STREAM" for stream sockets since Linux 5.15,
// "UNIX" for the others (and for all before).
std::string proto_of(int fd) {
  char buf[64] = {};
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = ::getxattr(path.c_str(), "system.sockprotoname", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf) : std::string();
}

std::string peers(const std::string& proto, unsigned long self, unsigned long peer,
                  const std::string& name = "") {
  return proto + ":[" + std::to_string(self) + "->" + std::to_string(peer) + name + "]";
}

TEST(TraceProcFdNames, DescribesUnixSocketPairsWithPeers) {
  ProcFdNames names;
  pid_t self = ::getpid();
  for (int type : {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET}) {
    SCOPED_TRACE(type);
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
    unsigned long a = inode_of(sv[0]), b = inode_of(sv[1]);
    ASSERT_NE(a, 0u);
    ASSERT_NE(b, 0u);
    std::string proto = proto_of(sv[0]);
    if (type == SOCK_STREAM)
      EXPECT_TRUE(proto == "UNIX-STREAM" || proto == "UNIX") << proto;
    else
      EXPECT_EQ(proto, "UNIX");
    EXPECT_EQ(names.describe(self, sv[0], 2), peers(proto, a, b));
    EXPECT_EQ(names.describe(self, sv[1], 2), peers(proto, b, a));
    EXPECT_EQ(names.describe(self, sv[0], 1), "socket:[" + std::to_string(a) + "]");
    auto info = query_unix_sock(a);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->peer, b);
    EXPECT_EQ(info->name, "");
    ::close(sv[0]);
    ::close(sv[1]);
  }
}

TEST(TraceProcFdNames, DescribesBoundUnixSockets) {
  ProcFdNames names;
  pid_t self = ::getpid();
  char dir[] = "/tmp/corostack-fdnames-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/s \"<q>\t.sock";
  std::string quoted = ",\"" + std::string(dir) + "/s \\\"<q>\\t.sock\"";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  std::memcpy(addr.sun_path, path.data(), path.size());
  auto* sa = reinterpret_cast<sockaddr*>(&addr);

  int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  ASSERT_EQ(::bind(listener, sa, sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  int client = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(client, 0);
  std::string proto = proto_of(client);
  unsigned long l = inode_of(listener), c = inode_of(client);
  EXPECT_EQ(names.describe(self, client, 2), proto + ":[" + std::to_string(c) + "]");
  ASSERT_EQ(::connect(client, sa, sizeof addr), 0);
  int served = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(served, 0);
  unsigned long s = inode_of(served);
  EXPECT_EQ(names.describe(self, listener, 2), proto + ":[" + std::to_string(l) + quoted + "]");
  // Asked afresh: the client connected since the first call.
  EXPECT_EQ(names.describe(self, client, 2), peers(proto, c, s));
  EXPECT_EQ(names.describe(self, served, 2), peers(proto, s, c, quoted));
  ::close(served);
  ::close(client);
  ::close(listener);
  ::unlink(path.c_str());
  ::rmdir(dir);

  // Abstract names: '@', then the name quoted; datagram sockets are "UNIX".
  std::string abstract = "corostack-fdnames-" + std::to_string(self) + "\1x";
  sockaddr_un abs{};
  abs.sun_family = AF_UNIX;
  std::memcpy(abs.sun_path + 1, abstract.data(), abstract.size());
  auto abs_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + abstract.size());
  int bound = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int sender = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int lone = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(bound, 0);
  ASSERT_GE(sender, 0);
  ASSERT_GE(lone, 0);
  ASSERT_EQ(::bind(bound, reinterpret_cast<sockaddr*>(&abs), abs_len), 0);
  ASSERT_EQ(::connect(sender, reinterpret_cast<sockaddr*>(&abs), abs_len), 0);
  unsigned long b = inode_of(bound), d = inode_of(sender), u = inode_of(lone);
  EXPECT_EQ(
      names.describe(self, bound, 2),
      "UNIX:[" + std::to_string(b) + ",@\"corostack-fdnames-" + std::to_string(self) + "\\1x\"]");
  EXPECT_EQ(names.describe(self, sender, 2), peers("UNIX", d, b));
  EXPECT_EQ(names.describe(self, lone, 2), "UNIX:[" + std::to_string(u) + "]");
  ::close(lone);
  ::close(sender);
  ::close(bound);
}

// One netlink message: header, then `body`, padded.
void put_message(std::vector<uint8_t>& out, uint16_t type, uint32_t seq,
                 const std::vector<uint8_t>& body) {
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(body.size()));
  h.nlmsg_type = type;
  h.nlmsg_seq = seq;
  const auto* p = reinterpret_cast<const uint8_t*>(&h);
  out.insert(out.end(), p, p + sizeof h);
  out.insert(out.end(), body.begin(), body.end());
  out.resize(NLMSG_ALIGN(out.size()));
}

std::vector<uint8_t> diag_body(uint32_t inode,
                               const std::vector<std::pair<uint16_t, std::string>>& attrs) {
  unix_diag_msg msg{};
  msg.udiag_family = AF_UNIX;
  msg.udiag_ino = inode;
  std::vector<uint8_t> body(sizeof msg);
  std::memcpy(body.data(), &msg, sizeof msg);
  for (const auto& [type, payload] : attrs) {
    nlattr a{};
    a.nla_len = static_cast<uint16_t>(NLA_HDRLEN + payload.size());
    a.nla_type = type;
    const auto* p = reinterpret_cast<const uint8_t*>(&a);
    body.insert(body.end(), p, p + sizeof a);
    body.insert(body.end(), payload.begin(), payload.end());
    body.resize(NLA_ALIGN(body.size()));
  }
  return body;
}

std::string u32(uint32_t v) {
  return std::string(reinterpret_cast<const char*>(&v), sizeof v);
}

TEST(TraceProcFdNames, ParsesUnixDiagRepliesDefensively) {
  std::vector<uint8_t> buf;
  // A stale reply (other sequence), then ours after another inode's.
  put_message(buf, SOCK_DIAG_BY_FAMILY, 6, diag_body(100, {{UNIX_DIAG_PEER, u32(1)}}));
  put_message(buf, SOCK_DIAG_BY_FAMILY, 7, diag_body(99, {{UNIX_DIAG_PEER, u32(2)}}));
  put_message(buf, SOCK_DIAG_BY_FAMILY, 7,
              diag_body(100, {{UNIX_DIAG_NAME, std::string("\0ab", 3)},
                              {UNIX_DIAG_NAME, "/second"},
                              {UNIX_DIAG_PEER, u32(101)}}));
  UnixSockInfo info;
  EXPECT_EQ(parse_unix_diag_reply(buf, 7, 100, info), UnixDiagStatus::kFound);
  EXPECT_EQ(info.peer, 101u);
  EXPECT_EQ(info.name, std::string("\0ab", 3));
  EXPECT_EQ(format_unix_sock("UNIX", 100, info), R"(UNIX:[100->101,@"ab"])");

  // Every prefix of it is truncated (or, before our message, incomplete).
  for (size_t n = 0; n < buf.size(); ++n) {
    UnixSockInfo part;
    EXPECT_NE(parse_unix_diag_reply(std::span(buf.data(), n), 7, 100, part), UnixDiagStatus::kFound)
        << n;
  }
  UnixSockInfo other;
  EXPECT_EQ(parse_unix_diag_reply(buf, 8, 100, other), UnixDiagStatus::kIncomplete);

  // An error answer (no such socket), and a header claiming too much.
  std::vector<uint8_t> err;
  put_message(err, NLMSG_ERROR, 7, std::vector<uint8_t>(sizeof(nlmsgerr)));
  EXPECT_EQ(parse_unix_diag_reply(err, 7, 100, info), UnixDiagStatus::kFailed);
  std::vector<uint8_t> bad;
  put_message(bad, SOCK_DIAG_BY_FAMILY, 7, diag_body(100, {}));
  bad[0] = 0xff;
  EXPECT_EQ(parse_unix_diag_reply(bad, 7, 100, info), UnixDiagStatus::kFailed);
  // A short body, and an attribute longer than the message: ignored.
  std::vector<uint8_t> shortmsg;
  put_message(shortmsg, SOCK_DIAG_BY_FAMILY, 7, std::vector<uint8_t>(4));
  EXPECT_EQ(parse_unix_diag_reply(shortmsg, 7, 100, info), UnixDiagStatus::kFailed);
  std::vector<uint8_t> body = diag_body(100, {{UNIX_DIAG_PEER, u32(5)}});
  body[sizeof(unix_diag_msg)] = 200;  // nla_len
  std::vector<uint8_t> longattr;
  put_message(longattr, SOCK_DIAG_BY_FAMILY, 7, body);
  EXPECT_EQ(parse_unix_diag_reply(longattr, 7, 100, info), UnixDiagStatus::kFound);
  EXPECT_EQ(info.peer, 0u);
  // A short peer attribute is no peer.
  std::vector<uint8_t> shortpeer;
  put_message(shortpeer, SOCK_DIAG_BY_FAMILY, 7, diag_body(100, {{UNIX_DIAG_PEER, "ab"}}));
  EXPECT_EQ(parse_unix_diag_reply(shortpeer, 7, 100, info), UnixDiagStatus::kFound);
  EXPECT_EQ(info.peer, 0u);
}

TEST(TraceProcFdNames, FormatsUnixSocketsAsStrace) {
  UnixSockInfo info;
  EXPECT_EQ(format_unix_sock("UNIX-STREAM", 7, info), "UNIX-STREAM:[7]");
  info.name = std::string("/run/a\"b\n<c>\0", 12);
  EXPECT_EQ(format_unix_sock("UNIX", 7, info), R"(UNIX:[7,"/run/a\"b\n<c>"])");
  info.peer = 8;
  info.name = std::string("\0x\0y", 4);
  EXPECT_EQ(format_unix_sock("UNIX", 7, info), R"(UNIX:[7->8,@"x"])");
  info.name = std::string(1, '\0');
  EXPECT_EQ(format_unix_sock("A<B", 7, info), R"(A\74B:[7->8,@""])");
  EXPECT_FALSE(query_unix_sock(0).has_value());
  EXPECT_FALSE(query_unix_sock(1ul << 40).has_value());
}

}  // namespace
}  // namespace corostack::trace

namespace corostack::trace {
namespace {

std::vector<uint8_t> inet_body(uint32_t inode, uint8_t family, std::array<uint8_t, 4> src,
                               uint16_t sport, std::array<uint8_t, 4> dst, uint16_t dport) {
  inet_diag_msg m{};
  m.idiag_family = family;
  m.idiag_inode = inode;
  m.id.idiag_sport = htons(sport);
  m.id.idiag_dport = htons(dport);
  std::memcpy(m.id.idiag_src, src.data(), 4);
  std::memcpy(m.id.idiag_dst, dst.data(), 4);
  std::vector<uint8_t> out(sizeof m);
  std::memcpy(out.data(), &m, sizeof m);
  return out;
}

TEST(TraceProcFdNames, ParsesInetDiagDumpsDefensively) {
  std::vector<uint8_t> buf;
  put_message(buf, SOCK_DIAG_BY_FAMILY, 6, inet_body(200, AF_INET, {10, 0, 0, 1}, 1, {}, 0));
  put_message(buf, SOCK_DIAG_BY_FAMILY, 7, inet_body(199, AF_INET, {10, 0, 0, 2}, 2, {}, 0));
  put_message(buf, SOCK_DIAG_BY_FAMILY, 7,
              inet_body(200, AF_INET, {127, 0, 0, 1}, 8080, {127, 0, 0, 1}, 51234));
  InetSockInfo info;
  EXPECT_EQ(parse_inet_diag_reply(buf, 7, 200, info), DiagStatus::kFound);
  EXPECT_EQ(info.local, "127.0.0.1:8080");
  EXPECT_EQ(info.remote, "127.0.0.1:51234");
  for (size_t n = 0; n < buf.size(); ++n) {
    InetSockInfo part;
    EXPECT_NE(parse_inet_diag_reply(std::span(buf.data(), n), 7, 200, part), DiagStatus::kFound)
        << n;
  }
  // Bound, not connected: no remote end. The end of the dump: not there.
  std::vector<uint8_t> bound;
  put_message(bound, SOCK_DIAG_BY_FAMILY, 7, inet_body(300, AF_INET, {127, 0, 0, 1}, 9, {}, 0));
  EXPECT_EQ(parse_inet_diag_reply(bound, 7, 300, info), DiagStatus::kFound);
  EXPECT_EQ(info.local, "127.0.0.1:9");
  EXPECT_TRUE(info.remote.empty());
  std::vector<uint8_t> done;
  put_message(done, NLMSG_DONE, 7, std::vector<uint8_t>(4));
  EXPECT_EQ(parse_inet_diag_reply(done, 7, 300, info), DiagStatus::kFailed);
  // A family that is not inet, a short body, a header claiming too much.
  std::vector<uint8_t> odd;
  put_message(odd, SOCK_DIAG_BY_FAMILY, 7, inet_body(300, AF_UNIX, {}, 0, {}, 0));
  EXPECT_EQ(parse_inet_diag_reply(odd, 7, 300, info), DiagStatus::kFailed);
  std::vector<uint8_t> shortmsg;
  put_message(shortmsg, SOCK_DIAG_BY_FAMILY, 7, std::vector<uint8_t>(4));
  EXPECT_EQ(parse_inet_diag_reply(shortmsg, 7, 300, info), DiagStatus::kFailed);
  bound[0] = 0xff;
  EXPECT_EQ(parse_inet_diag_reply(bound, 7, 300, info), DiagStatus::kFailed);
}

// The query against this process's own socket, bound and neither listening
// nor connected, which /proc/net/tcp does not list.
TEST(TraceProcFdNames, QueriesABoundTcpSocket) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  struct stat st {};
  ASSERT_EQ(::fstat(fd, &st), 0);
  auto info = query_inet_sock("TCP", st.st_ino);
  ::close(fd);
  ASSERT_TRUE(info.has_value()) << "inet_diag did not find the bound socket";
  EXPECT_EQ(info->local, "127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  EXPECT_TRUE(info->remote.empty());
  EXPECT_FALSE(query_inet_sock("UNIX", st.st_ino).has_value());
}

}  // namespace
}  // namespace corostack::trace
