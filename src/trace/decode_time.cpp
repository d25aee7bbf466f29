// Sleeping and clocks: nanosleep, clock_*, gettimeofday, timerfd, futex
// (a futex wait is mostly a timed sleep; its arguments follow the command).
#include <fmt/format.h>

#include "trace/decode_registry.hpp"
#include "trace/xlat_events.hpp"

namespace corostack::trace {
namespace {

std::string clock_id(const Ctx& c, int i) {
  return format_enum(c.arg(i) & 0xffffffff, kClockIds, "CLOCK_???");
}
std::string timer_flags(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kTimerFlags);
}
// Written by the kernel: shown after the call, as an address if it failed.
std::string timespec_out(const Ctx& c, int i) {
  if (c.arg(i) == 0) return "NULL";
  if (!c.exiting || c.failed()) return fmt_ptr(c.arg(i));
  return fmt_timespec(c, c.arg(i));
}
// nanosleep's "rem" is written only when the sleep was interrupted.
std::string remaining(const Ctx& c, int i) {
  if (c.arg(i) == 0) return "NULL";
  if (!c.exiting || (c.ret != -4 && c.ret != -516)) return fmt_ptr(c.arg(i));  // EINTR, restart
  return fmt_timespec(c, c.arg(i));
}
std::string timeval_out(const Ctx& c, int i) {
  if (c.arg(i) == 0) return "NULL";
  if (!c.exiting || c.failed()) return fmt_ptr(c.arg(i));
  return fmt_timeval(c, c.arg(i));
}

std::string itimerspec_at(const Ctx& c, uint64_t addr) {
  if (addr == 0) return "NULL";
  auto v = c.read_obj<std::array<int64_t, 4>>(addr);
  if (!v) return fmt_ptr(addr);
  return fmt::format("{{it_interval={}, it_value={}}}", fmt_timespec_value((*v)[0], (*v)[1]),
                     fmt_timespec_value((*v)[2], (*v)[3]));
}
std::string itimerspec_in(const Ctx& c, int i) {
  return itimerspec_at(c, c.arg(i));
}
std::string itimerspec_out(const Ctx& c, int i) {
  if (c.arg(i) != 0 && c.failed()) return fmt_ptr(c.arg(i));
  return itimerspec_at(c, c.arg(i));
}
std::string tfd_create_flags(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kTimerfdCreateFlags);
}
std::string tfd_set_flags(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kTimerfdSetFlags);
}

// futex(uaddr, op, val, timeout|val2, uaddr2, val3): which of them mean
// something depends on the command.
uint64_t futex_cmd(const Ctx& c) {
  return c.arg(1) & 127;
}

int futex_count(const Ctx& c) {
  switch (futex_cmd(c)) {
    case 7:
    case 8:
      return 2;  // UNLOCK_PI, TRYLOCK_PI
    case 1:
    case 2:
    case 6:
    case 13:  // WAKE, FD, LOCK_PI, LOCK_PI2
      return 3;
    case 0:
      return 4;  // WAIT
    case 10:
      return 4;  // WAKE_BITSET
    case 9:
    case 3:
    case 11:  // WAIT_BITSET, REQUEUE, WAIT_REQUEUE_PI
      return 5;
    default:
      return 6;
  }
}

std::string futex_op(const Ctx& c, int i) {
  return format_futex_op(c.arg(i) & 0xffffffff);
}

std::string bitset(uint64_t v) {
  v &= 0xffffffff;
  return v == 0xffffffff ? "FUTEX_BITSET_MATCH_ANY" : hex(v);
}

// Arguments 2..5 after the command. WAKE_BITSET skips the timeout and
// uaddr2 slots, printing val3 in fourth place.
std::string futex_rest(const Ctx& c, int i) {
  uint64_t cmd = futex_cmd(c);
  if (cmd == 6 || cmd == 13) return fmt_timespec(c, c.arg(3));  // LOCK_PI: only a timeout
  if (i == 2) return fmt_uint(c.arg(2) & 0xffffffff);
  if (i == 3) {
    if (cmd == 10) return bitset(c.arg(5));
    if (cmd == 3 || cmd == 4 || cmd == 5 || cmd == 12) return fmt_uint(c.arg(3) & 0xffffffff);
    return fmt_timespec(c, c.arg(3));
  }
  if (i == 4) return cmd == 9 ? bitset(c.arg(5)) : fmt_ptr(c.arg(4));
  if (cmd == 5) return format_futex_wake_op(static_cast<uint32_t>(c.arg(5)));
  return fmt_uint(c.arg(5) & 0xffffffff);
}

}  // namespace

std::span<const Decoder> time_decoders() {
  using namespace arg;
  static const Decoder kDecoders[] = {
      {.name = "nanosleep", .args = {timespec, remaining}, .exit_from = 1},
      {.name = "clock_nanosleep",
       .args = {clock_id, timer_flags, timespec, remaining},
       .exit_from = 3},
      {.name = "clock_gettime", .args = {clock_id, timespec_out}, .exit_from = 1},
      {.name = "clock_getres", .args = {clock_id, timespec_out}, .exit_from = 1},
      {.name = "clock_settime", .args = {clock_id, timespec}},
      {.name = "gettimeofday", .args = {timeval_out, ptr}, .exit_from = 0},
      {.name = "timerfd_create", .args = {clock_id, tfd_create_flags}, .ret = RetKind::kFd},
      {.name = "timerfd_settime",
       .args = {fd, tfd_set_flags, itimerspec_in, itimerspec_out},
       .exit_from = 3},
      {.name = "timerfd_gettime", .args = {fd, itimerspec_out}, .exit_from = 1},
      {.name = "futex",
       .args = {ptr, futex_op, futex_rest, futex_rest, futex_rest, futex_rest},
       .count = futex_count},
  };
  return kDecoders;
}

}  // namespace corostack::trace
