// Decoder output against what strace 6.1 printed for the same calls (the
// expected lines were captured from real strace runs of small C programs).
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "trace/syscall_decode.hpp"
#include "trace/syscall_table.hpp"

namespace corostack::trace {
namespace {

// Target memory as a few mapped regions; everything else is unreadable.
class FakeMemory : public MemoryReader {
 public:
  uint64_t put(uint64_t addr, std::string_view bytes) {
    regions_[addr].assign(bytes.begin(), bytes.end());
    return addr;
  }
  template <typename T>
  uint64_t put_obj(uint64_t addr, const T& v) {
    return put(addr, std::string_view(reinterpret_cast<const char*>(&v), sizeof v));
  }
  ReadResult read(RemoteAddr a, std::span<std::byte> out) const override {
    auto it = regions_.upper_bound(a.value());
    if (it == regions_.begin()) return {};
    --it;
    uint64_t off = a.value() - it->first;
    if (off >= it->second.size()) return {};
    size_t n = std::min(out.size(), it->second.size() - static_cast<size_t>(off));
    std::memcpy(out.data(), it->second.data() + off, n);
    return {n, ErrorKind::kUnreadable};
  }

 private:
  std::map<uint64_t, std::string> regions_;
};

class FakeFds : public FdNames {
 public:
  std::map<int, std::string> names;
  std::string describe(pid_t, int fd, int) const override {
    auto it = names.find(fd);
    return it == names.end() ? "" : it->second;
  }
};

struct Fixture : ::testing::Test {
  FakeMemory mem;
  FakeFds fds;
  DecodeOptions opts;

  // The whole strace line: name(args) = ret.
  std::string line(std::string_view name, std::vector<uint64_t> args, int64_t ret) {
    CallArgs call;
    call.tid = 42;
    call.nr = *syscall_number(name);
    std::copy(args.begin(), args.end(), call.args.begin());
    return line(call, ret);
  }
  std::string line(const CallArgs& call, int64_t ret) {
    auto a = decode_entry(call, mem, fds, opts);
    auto b = decode_exit(call, ret, mem, fds, opts);
    a.insert(a.end(), b.begin(), b.end());
    std::string out = syscall_display_name(call.nr) + "(";
    for (size_t i = 0; i < a.size(); ++i) out += (i ? ", " : "") + a[i];
    return out + ") = " + format_return(call, ret, mem, fds, opts);
  }
};

using TraceDecodeIo = Fixture;

TEST_F(TraceDecodeIo, WriteEscapesLikeStrace) {
  uint64_t buf = mem.put(0x1000, std::string_view("hello\n\t\"\\\x1b[31mx\x80\xff", 17));
  EXPECT_EQ(line("write", {4, buf, 17}, 17),
            R"(write(4, "hello\n\t\"\\\33[31mx\200\377", 17) = 17)");
}

TEST_F(TraceDecodeIo, OctalEscapeIsPaddedBeforeADigit) {
  uint64_t buf = mem.put(0x1000, std::string_view("\x01"
                                                  "2\0a\x7f\n",
                                                  6));
  EXPECT_EQ(line("write", {1, buf, 6}, 6), R"(write(1, "\0012\0a\177\n", 6) = 6)");
}

TEST_F(TraceDecodeIo, ReadShowsWhatTheKernelFilledCutAtTheStringLimit) {
  uint64_t buf = mem.put(0x1000, "0123456789012345678901234567890123456789");
  EXPECT_EQ(line("read", {3, buf, 5}, 5), R"(read(3, "01234", 5) = 5)");
  EXPECT_EQ(line("write", {4, buf, 40}, 40),
            R"(write(4, "01234567890123456789012345678901"..., 40) = 40)");
  EXPECT_EQ(line("read", {3, buf, 200}, -11),
            "read(3, 0x1000, 200) = -1 EAGAIN (Resource temporarily unavailable)");
}

TEST_F(TraceDecodeIo, HexModes) {
  uint64_t buf = mem.put(0x1000, std::string_view("ab\x1b[0m\xc3\xa9\0z", 10));
  opts.hex = 1;
  EXPECT_EQ(line("write", {1, buf, 10}, 10),
            R"(write(1, "\x61\x62\x1b\x5b\x30\x6d\xc3\xa9\x00\x7a", 10) = 10)");
  uint64_t plain = mem.put(0x2000, "plain\n");
  EXPECT_EQ(line("write", {1, plain, 6}, 6), R"(write(1, "plain\n", 6) = 6)");
  opts.hex = 2;
  EXPECT_EQ(line("write", {1, plain, 2}, 2), R"(write(1, "\x70\x6c", 2) = 2)");
}

TEST_F(TraceDecodeIo, StringLimitZeroAndThree) {
  uint64_t buf = mem.put(0x1000, std::string_view("ab\x1b[0m\xc3\xa9\0z", 10));
  opts.string_limit = 0;
  EXPECT_EQ(line("write", {1, buf, 10}, 10), R"(write(1, ""..., 10) = 10)");
  opts.string_limit = 3;
  EXPECT_EQ(line("write", {1, buf, 10}, 10), R"(write(1, "ab\33"..., 10) = 10)");
}

TEST_F(TraceDecodeIo, Vectors) {
  uint64_t ab = mem.put(0x1000, "ab"), cde = mem.put(0x2000, "cde");
  uint64_t iov[4] = {ab, 2, cde, 3};
  uint64_t v = mem.put_obj(0x3000, iov);
  EXPECT_EQ(line("writev", {4, v, 2}, 5),
            R"(writev(4, [{iov_base="ab", iov_len=2}, {iov_base="cde", iov_len=3}], 2) = 5)");
  uint64_t a = mem.put(0x4000, "567"), b = mem.put(0x5000, "8901234567");
  uint64_t riov[4] = {a, 3, b, 10};
  uint64_t r = mem.put_obj(0x6000, riov);
  EXPECT_EQ(
      line("readv", {3, r, 2}, 13),
      R"(readv(3, [{iov_base="567", iov_len=3}, {iov_base="8901234567", iov_len=10}], 2) = 13)");
}

TEST_F(TraceDecodeIo, ArraysStopAtTheStringLimitInElements) {
  uint64_t z = mem.put(0x1000, "z");
  std::vector<uint64_t> iov;
  for (int i = 0; i < 40; ++i) iov.insert(iov.end(), {z, 1});
  mem.put(0x2000, std::string_view(reinterpret_cast<const char*>(iov.data()), iov.size() * 8));
  std::string expect = "writev(4, [";
  for (int i = 0; i < 32; ++i) expect += R"({iov_base="z", iov_len=1}, )";
  expect += "...], 40) = 40";
  EXPECT_EQ(line("writev", {4, 0x2000, 40}, 40), expect);
}

TEST_F(TraceDecodeIo, PipesFcntlAndUnknownIoctl) {
  int32_t fds2[2] = {3, 4};
  uint64_t p = mem.put_obj(0x1000, fds2);
  EXPECT_EQ(line("pipe2", {p, 04000 | 02000000}, 0), "pipe2([3, 4], O_NONBLOCK|O_CLOEXEC) = 0");
  EXPECT_EQ(line("fcntl", {3, 3}, 0x800), "fcntl(3, F_GETFL) = 0x800 (flags O_RDONLY|O_NONBLOCK)");
  EXPECT_EQ(line("fcntl", {3, 2, 1}, 0), "fcntl(3, F_SETFD, FD_CLOEXEC) = 0");
  EXPECT_EQ(line("dup3", {3, 20, 02000000}, 20), "dup3(3, 20, O_CLOEXEC) = 20");
  EXPECT_EQ(line("lseek", {1000, 0, 0}, -9),
            "lseek(1000, 0, SEEK_SET) = -1 EBADF (Bad file descriptor)");
  EXPECT_EQ(
      line("ioctl", {5, 0x1234, 0}, -25),
      "ioctl(5, _IOC(_IOC_NONE, 0x12, 0x34, 0), 0) = -1 ENOTTY (Inappropriate ioctl for device)");
  int32_t zero = 0, one = 1;
  EXPECT_EQ(line("ioctl", {5, 0x541b, mem.put_obj(0x2000, zero)}, 0),
            "ioctl(5, FIONREAD, [0]) = 0");
  EXPECT_EQ(line("ioctl", {5, 0x5421, mem.put_obj(0x3000, one)}, 0), "ioctl(5, FIONBIO, [1]) = 0");
}

using TraceDecodeFile = Fixture;

TEST_F(TraceDecodeFile, OpenatAndStat) {
  uint64_t path = mem.put(0x1000, std::string_view("/etc/hostname\0", 14));
  uint64_t fdcwd = static_cast<uint64_t>(-100);
  EXPECT_EQ(line("openat", {fdcwd, path, 02000000}, 5),
            R"(openat(AT_FDCWD, "/etc/hostname", O_RDONLY|O_CLOEXEC) = 5)");
  uint64_t ne = mem.put(0x2000, std::string_view("/nonexist\0", 10));
  EXPECT_EQ(line("openat", {fdcwd, ne, 01 | 0100 | 01000 | 02000, 0644}, 5),
            R"(openat(AT_FDCWD, "/nonexist", O_WRONLY|O_CREAT|O_TRUNC|O_APPEND, 0644) = 5)");
  EXPECT_EQ(line("access", {ne, 6}, -2),
            R"(access("/nonexist", R_OK|W_OK) = -1 ENOENT (No such file or directory))");
  std::array<uint64_t, 18> st{};
  st[3] = 0100755;  // st_mode (and st_uid in the high half)
  st[6] = 3;        // st_size
  uint64_t sb = mem.put_obj(0x3000, st);
  EXPECT_EQ(
      line("newfstatat", {fdcwd, path, sb, 0}, 0),
      R"(newfstatat(AT_FDCWD, "/etc/hostname", {st_mode=S_IFREG|0755, st_size=3, ...}, 0) = 0)");
  st[3] = 020666;
  st[5] = 0x103;  // st_rdev 1:3
  uint64_t dev = mem.put_obj(0x4000, st);
  uint64_t empty = mem.put(0x5000, std::string_view("\0", 1));
  EXPECT_EQ(
      line("newfstatat", {0, empty, dev, 0x1000}, 0),
      R"(newfstatat(0, "", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}, AT_EMPTY_PATH) = 0)");
}

TEST_F(TraceDecodeFile, PathsAreNotCutByTheStringLimit) {
  uint64_t path = mem.put(0x1000, std::string_view("/lib/x86_64-linux-gnu/libc.so.6\0", 32));
  opts.string_limit = 3;
  EXPECT_EQ(line("openat", {static_cast<uint64_t>(-100), path, 02000000}, 3),
            R"(openat(AT_FDCWD, "/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY|O_CLOEXEC) = 3)");
}

TEST_F(TraceDecodeFile, FdNamesWithY) {
  opts.fd_detail = 1;
  fds.names = {
      {-100, "/tmp/or"}, {3, "/usr/lib/x86_64-linux-gnu/libc.so.6"}, {5, "socket:[21874]"}};
  uint64_t path = mem.put(0x1000, std::string_view("/lib/x86_64-linux-gnu/libc.so.6\0", 32));
  EXPECT_EQ(
      line("openat", {static_cast<uint64_t>(-100), path, 02000000}, 3),
      R"(openat(AT_FDCWD</tmp/or>, "/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY|O_CLOEXEC) = 3</usr/lib/x86_64-linux-gnu/libc.so.6>)");
  uint64_t x = mem.put(0x2000, "x");
  EXPECT_EQ(line("read", {5, x, 1}, 1), R"(read(5<socket:[21874]>, "x", 1) = 1)");
  EXPECT_EQ(line("close", {7}, 0), "close(7) = 0");  // unknown: the plain number
}

TEST_F(TraceDecodeFile, HostileFdNamesCannotReachTheTerminal) {
  opts.fd_detail = 1;
  fds.names = {{3, "/tmp/\x1b[2Jevil\n"}};
  std::string out = line("close", {3}, 0);
  for (char ch : out) EXPECT_GE(static_cast<unsigned char>(ch), 0x20) << out;
}

using TraceDecodeNet = Fixture;

// -xx hex-escapes every string, the addresses strace quotes included.
TEST_F(TraceDecodeNet, AddressesAreStringsUnderXX) {
  opts.hex = 2;
  uint8_t in4[16] = {2, 0, 0, 80, 127, 0, 0, 1};
  EXPECT_EQ(
      line("connect", {6, mem.put_obj(0x1000, in4), 16}, 0),
      R"(connect(6, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("\x31\x32\x37\x2e\x30\x2e\x30\x2e\x31")}, 16) = 0)");
  uint8_t in6[28] = {10, 0, 0, 53};
  in6[23] = 1;
  EXPECT_NE(line("connect", {6, mem.put_obj(0x2000, in6), 28}, 0)
                .find(R"(inet_pton(AF_INET6, "\x3a\x3a\x31", &sin6_addr))"),
            std::string::npos);
}

TEST_F(TraceDecodeNet, SocketAndAddresses) {
  EXPECT_EQ(line("socket", {2, 1 | 02000000, 6}, 6),
            "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP) = 6");
  EXPECT_EQ(line("socket", {10, 2, 0}, 7), "socket(AF_INET6, SOCK_DGRAM, IPPROTO_IP) = 7");
  EXPECT_EQ(line("socket", {1, 1, 0}, 8), "socket(AF_UNIX, SOCK_STREAM, 0) = 8");
  uint8_t in4[16] = {2, 0, 0, 80, 127, 0, 0, 1};
  EXPECT_EQ(
      line("connect", {6, mem.put_obj(0x1000, in4), 16}, -111),
      R"(connect(6, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 ECONNREFUSED (Connection refused))");
  uint8_t in6[28] = {10, 0, 0, 53};
  in6[23] = 1;
  uint64_t q = mem.put(0x2000, "q");
  EXPECT_EQ(
      line("sendto", {7, q, 1, 0x40 | 0x4000, mem.put_obj(0x3000, in6), 28}, 1),
      R"(sendto(7, "q", 1, MSG_DONTWAIT|MSG_NOSIGNAL, {sa_family=AF_INET6, sin6_port=htons(53), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 1)");
  std::string un(110, '\0');
  un[0] = 1;
  un.replace(2, 11, "/tmp/nosock");
  EXPECT_EQ(
      line("connect", {8, mem.put(0x4000, un), 110}, -2),
      R"(connect(8, {sa_family=AF_UNIX, sun_path="/tmp/nosock"}, 110) = -1 ENOENT (No such file or directory))");
}

TEST_F(TraceDecodeNet, AcceptReadsTheAddressAtExit) {
  uint8_t in4[16] = {2, 0, 0xee, 0x28, 127, 0, 0, 1};
  uint64_t addr = mem.put_obj(0x1000, in4);
  int32_t len = 16;
  uint64_t lenp = mem.put_obj(0x2000, len);
  EXPECT_EQ(
      line("accept4", {3, addr, lenp, 02000000}, 5),
      R"(accept4(3, {sa_family=AF_INET, sin_port=htons(60968), sin_addr=inet_addr("127.0.0.1")}, [16], SOCK_CLOEXEC) = 5)");
  EXPECT_EQ(line("recvfrom", {11, 0x7fffc5dbb070, 10, 0x40, 0, 0}, -11),
            "recvfrom(11, 0x7fffc5dbb070, 10, MSG_DONTWAIT, NULL, NULL) = -1 EAGAIN (Resource "
            "temporarily unavailable)");
  int32_t sv[2] = {9, 11};
  EXPECT_EQ(line("socketpair", {1, 5, 0, mem.put_obj(0x3000, sv)}, 0),
            "socketpair(AF_UNIX, SOCK_SEQPACKET, 0, [9, 11]) = 0");
  int32_t one = 1;
  EXPECT_EQ(line("setsockopt", {3, 1, 2, mem.put_obj(0x4000, one), 4}, 0),
            "setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0");
  EXPECT_EQ(line("setsockopt", {5, 6, 1, 0x4000, 4}, 0),
            "setsockopt(5, SOL_TCP, TCP_NODELAY, [1], 4) = 0");
}

TEST_F(TraceDecodeNet, MessageHeaders) {
  uint64_t ab = mem.put(0x1000, "ab"), cde = mem.put(0x2000, "cde");
  uint64_t iov[4] = {ab, 2, cde, 3};
  uint64_t v = mem.put_obj(0x3000, iov);
  uint64_t msg[7] = {0, 0, v, 2, 0, 0, 0};
  EXPECT_EQ(
      line("sendmsg", {9, mem.put_obj(0x4000, msg), 0}, 5),
      R"(sendmsg(9, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="ab", iov_len=2}, {iov_base="cde", iov_len=3}], msg_iovlen=2, msg_controllen=0, msg_flags=0}, 0) = 5)");
  uint64_t a = mem.put(0x5000, "abc"), b = mem.put(0x6000, std::string("de") + std::string(8, 'x'));
  uint64_t riov[4] = {a, 3, b, 10};
  uint64_t rmsg[7] = {0, 0, mem.put_obj(0x7000, riov), 2, 0, 0, 0x40000000};
  EXPECT_EQ(
      line("recvmsg", {11, mem.put_obj(0x8000, rmsg), 0x40000000}, 5),
      R"(recvmsg(11, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="abc", iov_len=3}, {iov_base="de", iov_len=10}], msg_iovlen=2, msg_controllen=0, msg_flags=MSG_CMSG_CLOEXEC}, MSG_CMSG_CLOEXEC) = 5)");
}

using TraceDecodeEvents = Fixture;

TEST_F(TraceDecodeEvents, PollAndEpoll) {
  struct PollFd {
    int32_t fd;
    int16_t events, revents;
  } pf[2] = {{3, 3, 1}, {4, 4, 4}};
  uint64_t p = mem.put_obj(0x1000, pf);
  EXPECT_EQ(line("poll", {p, 2, 100}, 2),
            "poll([{fd=3, events=POLLIN|POLLPRI}, {fd=4, events=POLLOUT}], 2, 100) = 2 "
            "([{fd=3, revents=POLLIN}, {fd=4, revents=POLLOUT}])");
  EXPECT_EQ(line("poll", {p, 2, 100}, 0),
            "poll([{fd=3, events=POLLIN|POLLPRI}, {fd=4, events=POLLOUT}], 2, 100) = 0 (Timeout)");
  EXPECT_EQ(line("epoll_create1", {02000000}, 12), "epoll_create1(EPOLL_CLOEXEC) = 12");
  uint8_t ev[12] = {1, 0, 0, 0x80, 3};
  uint64_t e = mem.put_obj(0x2000, ev);
  EXPECT_EQ(line("epoll_ctl", {12, 1, 4, e}, 0),
            "epoll_ctl(12, EPOLL_CTL_ADD, 4, {events=EPOLLIN|EPOLLET, data={u32=3, u64=3}}) = 0");
  EXPECT_EQ(line("epoll_wait", {12, 0x3000, 4, 10}, 0), "epoll_wait(12, [], 4, 10) = 0");
  uint8_t in[12] = {1, 0, 0, 0, 3};
  EXPECT_EQ(line("epoll_wait", {12, mem.put_obj(0x3000, in), 4, -1ull}, 1),
            "epoll_wait(12, [{events=EPOLLIN, data={u32=3, u64=3}}], 4, -1) = 1");
  EXPECT_EQ(line("eventfd2", {0, 02000000 | 04000}, 13),
            "eventfd2(0, EFD_CLOEXEC|EFD_NONBLOCK) = 13");
}

TEST_F(TraceDecodeEvents, FutexAndSleeps) {
  EXPECT_EQ(line("futex", {0x7fffc5dbae9c, 129, 1}, 0),
            "futex(0x7fffc5dbae9c, FUTEX_WAKE_PRIVATE, 1) = 0");
  int64_t ts[2] = {0, 1000};
  uint64_t t = mem.put_obj(0x1000, ts);
  EXPECT_EQ(
      line("futex", {0x7fffc5dbae9c, 9 | 128 | 256, 1, t, 0, 0xffffffff}, -11),
      "futex(0x7fffc5dbae9c, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 1, {tv_sec=0, "
      "tv_nsec=1000}, FUTEX_BITSET_MATCH_ANY) = -1 EAGAIN (Resource temporarily unavailable)");
  EXPECT_EQ(line("clock_nanosleep", {1, 1, t, 0}, 0),
            "clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, {tv_sec=0, tv_nsec=1000}, NULL) = 0");
  EXPECT_EQ(line("clock_nanosleep", {0, 0, t, 0}, 0),
            "clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=1000}, NULL) = 0");
  EXPECT_EQ(line("nanosleep", {t, 0}, 0), "nanosleep({tv_sec=0, tv_nsec=1000}, NULL) = 0");
}

using TraceDecodeProcess = Fixture;

TEST_F(TraceDecodeProcess, SignalsAndMasks) {
  uint64_t act[4] = {0x55c37ebaf479, 0x14000000, 0x7fb877f70050, 1u << 14};
  EXPECT_EQ(line("rt_sigaction", {2, mem.put_obj(0x1000, act), 0, 8}, 0),
            "rt_sigaction(SIGINT, {sa_handler=0x55c37ebaf479, sa_mask=[TERM], "
            "sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x7fb877f70050}, NULL, 8) = 0");
  uint64_t all_but = ~((1ull << 8) | (1ull << 31) | (1ull << 32));  // KILL, 32, 33
  EXPECT_EQ(line("rt_sigprocmask", {0, mem.put_obj(0x2000, all_but), 0, 8}, 0),
            "rt_sigprocmask(SIG_BLOCK, ~[KILL RTMIN RT_1], NULL, 8) = 0");
  uint64_t some = (1ull << 9) | (1ull << 35);
  EXPECT_EQ(line("rt_sigprocmask", {2, mem.put_obj(0x3000, some), 0, 8}, 0),
            "rt_sigprocmask(SIG_SETMASK, [USR1 RT_4], NULL, 8) = 0");
  EXPECT_EQ(line("kill", {17556, 15}, 0), "kill(17556, SIGTERM) = 0");
  EXPECT_EQ(line("kill", {20704, 40}, 0), "kill(20704, SIGRT_8) = 0");
  EXPECT_EQ(line("kill", {20704, 0}, 0), "kill(20704, 0) = 0");
  EXPECT_EQ(line("tgkill", {20704, 20704, 0}, 0), "tgkill(20704, 20704, 0) = 0");
}

TEST_F(TraceDecodeProcess, CloneExecWait) {
  EXPECT_EQ(line("clone", {0x1200000 | 17, 0, 0, 0x7fb877f31a10, 0}, 17555),
            "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, "
            "child_tidptr=0x7fb877f31a10) = 17555");
  uint64_t t = mem.put(0x1000, std::string_view("/bin/true\0", 10));
  uint64_t l = mem.put(0x2000, std::string_view("-l\0", 3));
  uint64_t argv[3] = {t, l, 0};
  uint64_t env[3] = {l, l, 0};
  EXPECT_EQ(line("execve", {t, mem.put_obj(0x3000, argv), mem.put_obj(0x7fffc5dbaad0, env)}, 0),
            R"(execve("/bin/true", ["/bin/true", "-l"], 0x7fffc5dbaad0 /* 2 vars */) = 0)");
  int32_t exited = 3 << 8, killed = 15;
  EXPECT_EQ(line("wait4", {17555, mem.put_obj(0x4000, exited), 0, 0}, 17555),
            "wait4(17555, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 17555");
  EXPECT_EQ(line("wait4", {17556, mem.put_obj(0x5000, killed), 0, 0}, 17556),
            "wait4(17556, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGTERM}], 0, NULL) = 17556");
  EXPECT_EQ(line("getppid", {}, 17551), "getppid() = 17551");
  EXPECT_EQ(line("exit_group", {0}, 0), "exit_group(0) = ?");
}

TEST_F(TraceDecodeProcess, MiscCalls) {
  uint64_t rl[2] = {8192 * 1024, ~0ull};
  EXPECT_EQ(line("prlimit64", {0, 3, 0, mem.put_obj(0x1000, rl)}, 0),
            "prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0");
  uint8_t rnd[8] = {0x55, 0xf7, 0xd1, 0xc4, 0xbb, 0xd6, 0x14, 0xc0};
  EXPECT_EQ(line("getrandom", {mem.put_obj(0x2000, rnd), 8, 1}, 8),
            R"(getrandom("\x55\xf7\xd1\xc4\xbb\xd6\x14\xc0", 8, GRND_NONBLOCK) = 8)");
  EXPECT_EQ(line("mmap", {0, 8192, 3, 0x22 | 0x20000, -1ull, 0}, 0x7fa2a0176000),
            "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_STACK, -1, 0) = "
            "0x7fa2a0176000");
  EXPECT_EQ(line("mprotect", {0x7fb87811f000, 4096, 0}, 0),
            "mprotect(0x7fb87811f000, 4096, PROT_NONE) = 0");
  EXPECT_EQ(line("madvise", {0x7fb87811f000, 4096, 4}, 0),
            "madvise(0x7fb87811f000, 4096, MADV_DONTNEED) = 0");
  EXPECT_EQ(line("prctl", {3}, 1), "prctl(PR_GET_DUMPABLE) = 1 (SUID_DUMP_USER)");
  EXPECT_EQ(line("prctl", {15, mem.put(0x3000, std::string_view("abc\0", 4))}, 0),
            R"(prctl(PR_SET_NAME, "abc") = 0)");
  EXPECT_EQ(line("prctl", {38, 1, 0, 0, 0}, 0), "prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) = 0");
  EXPECT_EQ(line("arch_prctl", {0x1002, 0x7fb877f31740}, 0),
            "arch_prctl(ARCH_SET_FS, 0x7fb877f31740) = 0");
  EXPECT_EQ(line("set_robust_list", {0x7fb877f31a20, 24}, 0),
            "set_robust_list(0x7fb877f31a20, 24) = 0");
  EXPECT_EQ(line("rseq", {0x7fb877f32060, 0x20, 0, 0x53053053}, 0),
            "rseq(0x7fb877f32060, 0x20, 0, 0x53053053) = 0");
  EXPECT_EQ(line("umask", {022}, 022), "umask(022) = 022");
  char uts[65 * 6] = {};
  std::strcpy(uts, "Linux");
  std::strcpy(uts + 65, "vm");
  EXPECT_EQ(line("uname", {mem.put_obj(0x4000, uts)}, 0),
            R"(uname({sysname="Linux", nodename="vm", ...}) = 0)");
}

using TraceDecodeReturn = Fixture;

TEST_F(TraceDecodeReturn, UnknownCallsRestartsAndErrors) {
  CallArgs call;
  call.nr = 999;
  call.args = {1, 2, 3, 0x7ffee774a430, 0x7ffee774a5f8, 0x7ffee774a5f8};
  EXPECT_EQ(line(call, -38),
            "syscall_0x3e7(0x1, 0x2, 0x3, 0x7ffee774a430, 0x7ffee774a5f8, 0x7ffee774a5f8) = -1 "
            "ENOSYS (Function not implemented)");
  uint64_t buf = mem.put(0x1000, "x");
  EXPECT_EQ(line("read", {0, buf, 1}, -512),
            "read(0, 0x1000, 1) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)");
  EXPECT_EQ(line("nanosleep", {0, 0}, -516),
            "nanosleep(NULL, NULL) = ? ERESTART_RESTARTBLOCK (Interrupted by signal)");
  EXPECT_EQ(line("pause", {}, -514), "pause() = ? ERESTARTNOHAND (To be restarted if no handler)");
  EXPECT_EQ(line("fork", {}, -513), "fork() = ? ERESTARTNOINTR (To be restarted)");
  EXPECT_EQ(line("close", {3}, -4000), "close(3) = -1 (errno 4000)");
  EXPECT_EQ(line("getpid", {}, 20704), "getpid() = 20704");
}

using TraceDecodeHostile = Fixture;

TEST_F(TraceDecodeHostile, UnreadableMemoryPrintsAddresses) {
  EXPECT_EQ(line("write", {1, 0xdead0000, 5}, 5), "write(1, 0xdead0000, 5) = 5");
  EXPECT_EQ(line("openat", {static_cast<uint64_t>(-100), 0xdead0000, 0}, -14),
            "openat(AT_FDCWD, 0xdead0000, O_RDONLY) = -1 EFAULT (Bad address)");
  EXPECT_EQ(line("connect", {3, 0xdead0000, 16}, -14),
            "connect(3, 0xdead0000, 16) = -1 EFAULT (Bad address)");
  EXPECT_EQ(line("execve", {0xdead0000, 0xdead0000, 0xdead0000}, -14),
            "execve(0xdead0000, 0xdead0000, 0xdead0000) = -1 EFAULT (Bad address)");
  EXPECT_EQ(line("write", {1, 0, 5}, -14), "write(1, NULL, 5) = -1 EFAULT (Bad address)");
}

TEST_F(TraceDecodeHostile, HugeCountsAreBounded) {
  std::string big(1 << 16, 'a');
  uint64_t buf = mem.put(0x100000, big);
  std::string out = line("read", {3, buf, 1ull << 40}, 1ll << 40);
  EXPECT_LT(out.size(), 200u);
  uint64_t iov[2] = {buf, 1ull << 62};
  uint64_t v = mem.put_obj(0x1000, iov);
  out = line("writev", {3, v, 1ull << 60}, 5);
  EXPECT_LT(out.size(), 400u);
  EXPECT_NE(out.find("... /* 0x1010 */"), std::string::npos) << out;
  opts.string_limit = 4096;
  out = line("write", {3, buf, 1ull << 40}, 1);
  EXPECT_LT(out.size(), 5000u);
}

TEST_F(TraceDecodeHostile, ControlBytesAndAnsiAreEscaped) {
  std::string nasty;
  for (int c = 0; c < 256; ++c) nasty += static_cast<char>(c);
  uint64_t buf = mem.put(0x1000, nasty);
  for (int hex = 0; hex < 3; ++hex) {
    opts.hex = hex;
    opts.string_limit = 300;
    std::string out = line("write", {1, buf, 256}, 256);
    for (char ch : out) {
      auto u = static_cast<unsigned char>(ch);
      EXPECT_TRUE(u >= 0x20 && u < 0x7f) << "byte " << int(u) << " in " << out;
    }
  }
  opts.hex = 0;
  uint64_t ansi = mem.put(0x2000, "\x1b[2J");
  EXPECT_EQ(line("write", {1, ansi, 4}, 4), R"(write(1, "\33[2J", 4) = 4)");
}

TEST_F(TraceDecodeHostile, StringWithoutNulIsCutAndUnterminatedAtUnmappedEnd) {
  uint64_t s = mem.put(0x1000, std::string(100, 'a'));  // no NUL, then unmapped
  opts.string_limit = 4;
  EXPECT_EQ(line("prctl", {15, s}, 0), R"(prctl(PR_SET_NAME, "aaaa"...) = 0)");
  EXPECT_EQ(line("unlink", {s}, -2), "unlink(0x1000) = -1 ENOENT (No such file or directory)");
}

}  // namespace
}  // namespace corostack::trace
