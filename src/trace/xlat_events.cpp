// Futex operations: a command number with two modifier bits folded into the
// name (_PRIVATE) or appended (FUTEX_CLOCK_REALTIME).
#include "trace/xlat_events.hpp"

#include <fmt/format.h>

namespace corostack::trace {
namespace {
constexpr uint64_t kPrivate = 128;
constexpr uint64_t kClockRealtime = 256;
}  // namespace

std::string format_futex_op(uint64_t op) {
  uint64_t cmd = op & ~(kPrivate | kClockRealtime);
  std::string out;
  if (const char* name = find_name(cmd, kFutexCmds)) {
    out = name;
    if (op & kPrivate) out += "_PRIVATE";
  } else {
    out = (op & kPrivate) ? "FUTEX_PRIVATE_FLAG|" + hex(cmd) : hex(cmd);
  }
  if (op & kClockRealtime) out += "|FUTEX_CLOCK_REALTIME";
  return out;
}

std::string format_futex_wake_op(uint32_t val3) {
  std::string out;
  if ((val3 >> 28) & 8) out += "FUTEX_OP_OPARG_SHIFT<<28|";
  out += format_enum((val3 >> 28) & 7, kFutexWakeOps, "FUTEX_OP_???");
  out += fmt::format("<<28|{}<<12|", hex((val3 >> 12) & 0xfff));
  out += format_enum((val3 >> 24) & 0xf, kFutexWakeCmps, "FUTEX_OP_CMP_???");
  return out + fmt::format("<<24|{}", hex(val3 & 0xfff));
}

}  // namespace corostack::trace
