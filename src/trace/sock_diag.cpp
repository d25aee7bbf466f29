#include "trace/sock_diag.hpp"

#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>

namespace corostack::trace {
namespace {

constexpr suseconds_t kTimeoutUs = 200000;  // per send / receive

// A file descriptor closed on scope exit.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

DiagStatus for_each_diag_message(
    std::span<const uint8_t> data, uint32_t seq,
    const std::function<DiagStatus(std::span<const uint8_t> body)>& on_message) {
  size_t off = 0;
  nlmsghdr h{};
  while (diag_read_at(data, off, h)) {
    if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > data.size() - off)
      return DiagStatus::kFailed;  // malformed or truncated
    std::span<const uint8_t> body = data.subspan(off + NLMSG_HDRLEN, h.nlmsg_len - NLMSG_HDRLEN);
    off += NLMSG_ALIGN(h.nlmsg_len);
    if (h.nlmsg_seq != seq) continue;  // a reply to an older request
    if (h.nlmsg_type == NLMSG_ERROR || h.nlmsg_type == NLMSG_DONE) return DiagStatus::kFailed;
    if (h.nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
    DiagStatus s = on_message(body);
    if (s != DiagStatus::kIncomplete) return s;
  }
  return DiagStatus::kIncomplete;
}

bool sock_diag_exchange(
    std::span<uint8_t> request, int max_reads,
    const std::function<DiagStatus(std::span<const uint8_t>, uint32_t seq)>& on_reply) {
  nlmsghdr head{};
  if (!diag_read_at(std::span<const uint8_t>(request), 0, head)) return false;
  Fd sock{::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)};
  if (sock.fd < 0) return false;
  timeval tv{0, kTimeoutUs};
  if (::setsockopt(sock.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
      ::setsockopt(sock.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
    return false;

  static std::atomic<uint32_t> next_seq{1};
  head.nlmsg_seq = next_seq.fetch_add(1, std::memory_order_relaxed);
  std::memcpy(request.data(), &head, sizeof head);

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = ::sendto(sock.fd, request.data(), request.size(), 0,
                    reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
  } while (sent < 0 && errno == EINTR);
  if (sent != static_cast<ssize_t>(request.size())) return false;

  // A dump's datagrams are sized by the kernel to fit a page-sized or larger
  // buffer; 32 KiB holds what it sends at once.
  alignas(nlmsghdr) static thread_local std::array<uint8_t, 32768> buf;
  for (int i = 0; i < max_reads; ++i) {
    sockaddr_nl from{};
    iovec iov{buf.data(), buf.size()};
    msghdr mh{};
    mh.msg_name = &from;
    mh.msg_namelen = sizeof from;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    ssize_t n = ::recvmsg(sock.fd, &mh, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;  // includes EAGAIN: the timeout expired
    }
    if ((mh.msg_flags & MSG_TRUNC) != 0) return false;
    if (mh.msg_namelen < sizeof from || from.nl_pid != 0) continue;  // not from the kernel
    switch (
        on_reply(std::span<const uint8_t>(buf.data(), static_cast<size_t>(n)), head.nlmsg_seq)) {
      case DiagStatus::kFound:
        return true;
      case DiagStatus::kFailed:
        return false;
      case DiagStatus::kIncomplete:
        break;
    }
  }
  return false;
}

}  // namespace corostack::trace
