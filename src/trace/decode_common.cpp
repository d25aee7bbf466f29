// Argument formatters shared by several call families.
#include <fmt/format.h>

#include "trace/decode_registry.hpp"
#include "trace/xlat_fs.hpp"
#include "trace/xlat_signals.hpp"

namespace corostack::trace::arg {

std::string fd(const Ctx& c, int i) {
  return fmt_fd(c, c.iarg(i));
}
std::string dirfd(const Ctx& c, int i) {
  return fmt_dirfd(c, c.iarg(i));
}
std::string int_(const Ctx& c, int i) {
  return fmt_int(c.iarg(i));
}
std::string long_(const Ctx& c, int i) {
  return fmt_int(static_cast<int64_t>(c.arg(i)));
}
std::string ulong(const Ctx& c, int i) {
  return fmt_uint(c.arg(i));
}
std::string hex(const Ctx& c, int i) {
  return trace::hex(c.arg(i));
}
std::string ptr(const Ctx& c, int i) {
  return fmt_ptr(c.arg(i));
}
std::string path(const Ctx& c, int i) {
  return fmt_path(c, c.arg(i));
}
std::string str(const Ctx& c, int i) {
  return fmt_cstring(c, c.arg(i));
}
std::string mode(const Ctx& c, int i) {
  return fmt_octal(c.arg(i) & 0xffffffff);
}
std::string buf_in(const Ctx& c, int i) {
  return fmt_buffer(c, c.arg(i), c.arg(i + 1));
}

std::string buf_out(const Ctx& c, int i) {
  if (c.failed() || !c.exiting) return fmt_ptr(c.arg(i));
  return fmt_buffer(c, c.arg(i), static_cast<uint64_t>(c.ret));
}

std::string int_ptr(const Ctx& c, int i) {
  if (c.failed()) return fmt_ptr(c.arg(i));
  if (c.exiting && c.call.value_result_arg == i) {
    // strace's value-result form: what went in, what came back, when they differ.
    auto out = c.read_obj<int32_t>(c.arg(i));
    if (out && *out != c.call.value_result_in)
      return "[" + std::to_string(c.call.value_result_in) + " => " + std::to_string(*out) + "]";
  }
  return fmt_int_ptr(c, c.arg(i));
}

std::string timespec(const Ctx& c, int i) {
  return fmt_timespec(c, c.arg(i));
}
std::string signal(const Ctx& c, int i) {
  return signal_arg(c.iarg(i));
}

std::string sigset(const Ctx& c, int i) {
  uint64_t addr = c.arg(i);
  if (addr == 0) return "NULL";
  if (c.failed() && c.exiting) return fmt_ptr(addr);
  auto mask = c.read_obj<uint64_t>(addr);
  return mask ? format_sigmask(*mask) : fmt_ptr(addr);
}

std::string at_flags(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kAtFlags);
}
std::string open_flags(const Ctx& c, int i) {
  return format_open_flags(c.arg(i) & 0xffffffff);
}

}  // namespace corostack::trace::arg
