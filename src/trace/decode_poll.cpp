// Readiness calls: poll/ppoll, select/pselect6, epoll, eventfd. poll and
// select report what became ready in the return value, as strace does.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "trace/decode_registry.hpp"
#include "trace/xlat_events.hpp"
#include "trace/xlat_signals.hpp"

namespace corostack::trace {
namespace {

struct PollFd {
  int32_t fd;
  int16_t events, revents;
};

std::string pollfds(const Ctx& c, int i) {
  return fmt_array<PollFd>(c, c.arg(i), c.arg(i + 1), [&](const PollFd& p) {
    return fmt::format("{{fd={}, events={}}}", fmt_fd(c, p.fd),
                       format_flags(static_cast<uint16_t>(p.events), kPollEvents));
  });
}

// "[{fd=3, revents=POLLIN}]": only the entries with something to report.
std::string poll_revents(const Ctx& c) {
  std::string out = "[";
  uint64_t shown = 0;
  for (uint64_t i = 0; i < c.arg(1) && shown < static_cast<uint64_t>(c.ret); ++i) {
    if (i >= kMaxRead / sizeof(PollFd)) break;
    auto p = c.read_obj<PollFd>(c.arg(0) + i * sizeof(PollFd));
    if (!p) return {};
    if (p->revents == 0) continue;
    if (shown > 0) out += ", ";
    if (shown++ >= c.max_elements()) {
      out += "...";
      break;
    }
    out += fmt::format("{{fd={}, revents={}}}", fmt_fd(c, p->fd),
                       format_flags(static_cast<uint16_t>(p->revents), kPollEvents));
  }
  return out + "]";
}

std::string poll_ret(const Ctx& c) {
  if (c.ret == 0) return "0 (Timeout)";
  std::string ready = poll_revents(c);
  if (ready.empty()) return std::to_string(c.ret);
  std::string out = fmt::format("{} ({}", c.ret, ready);
  if (c.call.nr == 271 && c.arg(2) != 0)  // ppoll: the time left
    out += ", left " + fmt_timespec(c, c.arg(2));
  return out + ")";
}

// An fd_set of `nfds` bits: "[0 5]".
constexpr uint64_t kMaxFdSetBits = 1 << 16;

std::string fd_set_at(const Ctx& c, uint64_t addr, uint64_t nfds) {
  if (addr == 0) return "NULL";
  nfds = std::min(nfds, kMaxFdSetBits);
  std::vector<uint8_t> bits((nfds + 63) / 64 * 8);
  if (!c.read(addr, bits.data(), bits.size())) return fmt_ptr(addr);
  std::string out = "[";
  size_t shown = 0;
  for (uint64_t fd = 0; fd < nfds; ++fd) {
    if (!(bits[fd / 8] >> (fd % 8) & 1)) continue;
    if (shown > 0) out += ' ';
    if (shown++ >= c.max_elements()) {
      out += "...";
      break;
    }
    out += fmt_fd(c, static_cast<int>(fd));
  }
  return out + "]";
}

std::string fdset(const Ctx& c, int i) {
  return fd_set_at(c, c.arg(i), static_cast<uint32_t>(c.iarg(0) < 0 ? 0 : c.iarg(0)));
}

std::string select_ret(const Ctx& c) {
  if (c.ret == 0) return "0 (Timeout)";
  std::string out = std::to_string(c.ret) + " (";
  uint64_t nfds = static_cast<uint32_t>(std::max(c.iarg(0), 0));
  const char* names[] = {"in", "out", "except"};
  bool any = false;
  for (int k = 0; k < 3; ++k) {
    if (c.arg(1 + k) == 0) continue;
    std::string set = fd_set_at(c, c.arg(1 + k), nfds);
    if (set == "[]" || set[0] != '[') continue;
    out += fmt::format("{}{} {}", any ? ", " : "", names[k], set);
    any = true;
  }
  if (c.arg(4) != 0) {
    bool pselect = c.call.nr == 270;
    out += (any ? ", left " : "left ") +
           (pselect ? fmt_timespec(c, c.arg(4)) : fmt_timeval(c, c.arg(4)));
  }
  return out + ")";
}

std::string timeval_arg(const Ctx& c, int i) {
  return fmt_timeval(c, c.arg(i));
}

// pselect6's last argument: {sigmask pointer, its size}.
std::string pselect_sigmask(const Ctx& c, int i) {
  if (c.arg(i) == 0) return "NULL";
  auto v = c.read_obj<std::array<uint64_t, 2>>(c.arg(i));
  if (!v) return fmt_ptr(c.arg(i));
  std::string set = "NULL";
  if ((*v)[0] != 0) {
    auto mask = c.read_obj<uint64_t>((*v)[0]);
    set = mask && (*v)[1] == 8 ? format_sigmask(*mask) : fmt_ptr((*v)[0]);
  }
  return fmt::format("{{{}, {}}}", set, (*v)[1]);
}

std::string epoll_event_text(const Ctx&, const std::array<uint8_t, 12>& e) {
  uint32_t events;
  uint64_t data;
  std::memcpy(&events, e.data(), 4);
  std::memcpy(&data, e.data() + 4, 8);
  return fmt::format("{{events={}, data={{u32={}, u64={}}}}}", format_flags(events, kEpollEvents),
                     static_cast<uint32_t>(data), data);
}

std::string epoll_event_arg(const Ctx& c, int i) {
  if (c.arg(i) == 0) return "NULL";
  auto e = c.read_obj<std::array<uint8_t, 12>>(c.arg(i));
  return e ? epoll_event_text(c, *e) : fmt_ptr(c.arg(i));
}

std::string epoll_events_out(const Ctx& c, int i) {
  if (!c.exiting || c.failed()) return fmt_ptr(c.arg(i));
  return fmt_array<std::array<uint8_t, 12>>(
      c, c.arg(i), static_cast<uint64_t>(c.ret),
      [&](const std::array<uint8_t, 12>& e) { return epoll_event_text(c, e); });
}

std::string epoll_op(const Ctx& c, int i) {
  return format_enum(c.arg(i) & 0xffffffff, kEpollCtlOps, "EPOLL_CTL_???");
}
std::string epoll_flags(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kEpollCreateFlags);
}
std::string eventfd_flags(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kEventfdFlags);
}
std::string uint_(const Ctx& c, int i) {
  return fmt_uint(c.arg(i) & 0xffffffff);
}

}  // namespace

std::span<const Decoder> poll_decoders() {
  using namespace arg;
  constexpr auto kFd = RetKind::kFd;
  static const Decoder kDecoders[] = {
      {.name = "poll", .args = {pollfds, uint_, int_}, .ret_fn = poll_ret},
      {.name = "ppoll", .args = {pollfds, uint_, timespec, sigset, ulong}, .ret_fn = poll_ret},
      {.name = "select", .args = {int_, fdset, fdset, fdset, timeval_arg}, .ret_fn = select_ret},
      {.name = "pselect6",
       .args = {int_, fdset, fdset, fdset, timespec, pselect_sigmask},
       .ret_fn = select_ret},
      {.name = "epoll_create", .args = {int_}, .ret = kFd},
      {.name = "epoll_create1", .args = {epoll_flags}, .ret = kFd},
      {.name = "epoll_ctl", .args = {fd, epoll_op, fd, epoll_event_arg}},
      {.name = "epoll_wait", .args = {fd, epoll_events_out, int_, int_}, .exit_from = 1},
      {.name = "epoll_pwait",
       .args = {fd, epoll_events_out, int_, int_, sigset, ulong},
       .exit_from = 1},
      {.name = "eventfd2", .args = {uint_, eventfd_flags}, .ret = kFd},
      {.name = "eventfd", .args = {uint_}, .ret = kFd},
  };
  return kDecoders;
}

}  // namespace corostack::trace
