// Bounded reads of target memory and the common argument shapes.
#include "trace/decode_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "trace/decode_quote.hpp"
#include "trace/xlat_core.hpp"

namespace corostack::trace {
namespace {

// What FdNames says goes between < and >; escaped again because a fake or
// future FdNames must not be able to put control bytes on the terminal.
std::string fd_suffix(const Ctx& c, int fd) {
  if (c.opts.fd_detail <= 0) return {};
  std::string name = c.fds.describe(c.call.tid, fd, c.opts.fd_detail);
  if (name.empty()) return {};
  std::string safe;
  for (char ch : name) {
    auto u = static_cast<uint8_t>(ch);
    if (u < 0x20 || u == 0x7f)
      safe += fmt::format("\\{:o}", u);
    else
      safe += ch;
  }
  return "<" + safe + ">";
}

// Reads a NUL-terminated string of up to `max` bytes. nullopt: unreadable
// before its end; `cut`: no NUL within `max`.
std::optional<std::vector<uint8_t>> read_cstring(const Ctx& c, uint64_t addr, size_t max,
                                                 bool& cut) {
  std::vector<uint8_t> buf(max + 1);
  auto r = c.mem.read(RemoteAddr(addr), std::as_writable_bytes(std::span(buf)));
  size_t got = std::min(r.bytes, buf.size());
  auto nul = std::find(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(got), uint8_t{0});
  if (nul != buf.begin() + static_cast<ptrdiff_t>(got)) {
    buf.resize(static_cast<size_t>(nul - buf.begin()));
    cut = false;
    return buf;
  }
  if (got < buf.size()) return std::nullopt;
  buf.resize(max);
  cut = true;
  return buf;
}

}  // namespace

bool Ctx::read(uint64_t addr, void* out, size_t n) const {
  if (n == 0) return true;  // as strace's umoven of nothing
  if (n > kMaxRead) return false;
  auto r = mem.read(RemoteAddr(addr), std::span(static_cast<std::byte*>(out), n));
  return r.complete(n);
}

std::string fmt_ptr(uint64_t addr) {
  return addr == 0 ? "NULL" : hex(addr);
}
std::string fmt_int(int64_t v) {
  return std::to_string(v);
}
std::string fmt_uint(uint64_t v) {
  return std::to_string(v);
}
std::string fmt_octal(uint64_t v) {
  return fmt::format("0{:02o}", v);
}

std::string fmt_fd(const Ctx& c, int fd) {
  return std::to_string(fd) + fd_suffix(c, fd);
}

std::string fmt_dirfd(const Ctx& c, int fd) {
  if (fd == -100) return "AT_FDCWD" + fd_suffix(c, fd);
  return fmt_fd(c, fd);
}

std::string fmt_buffer(const Ctx& c, uint64_t addr, uint64_t len, bool force_hex) {
  if (addr == 0) return "NULL";
  size_t shown = static_cast<size_t>(std::min<uint64_t>(len, c.opts.string_limit));
  shown = std::min(shown, kMaxRead);
  std::vector<uint8_t> buf(shown);
  if (!c.read(addr, buf.data(), buf.size())) return fmt_ptr(addr);
  return quote_bytes(buf, c.opts.hex, len > shown, force_hex);
}

std::string fmt_cstring(const Ctx& c, uint64_t addr) {
  if (addr == 0) return "NULL";
  bool cut = false;
  auto s = read_cstring(c, addr, std::min(c.opts.string_limit, kMaxRead), cut);
  if (!s) return fmt_ptr(addr);
  return quote_bytes(*s, c.opts.hex, cut);
}

std::string fmt_path(const Ctx& c, uint64_t addr) {
  if (addr == 0) return "NULL";
  bool cut = false;
  auto s = read_cstring(c, addr, kPathMax - 1, cut);
  if (!s) return fmt_ptr(addr);
  return quote_bytes(*s, c.opts.hex, cut);
}

std::string fmt_int_ptr(const Ctx& c, uint64_t addr) {
  if (addr == 0) return "NULL";
  auto v = c.read_obj<int32_t>(addr);
  return v ? "[" + std::to_string(*v) + "]" : fmt_ptr(addr);
}

std::string fmt_timespec_value(int64_t sec, int64_t nsec) {
  return fmt::format("{{tv_sec={}, tv_nsec={}}}", sec, nsec);
}

std::string fmt_timespec(const Ctx& c, uint64_t addr) {
  if (addr == 0) return "NULL";
  auto v = c.read_obj<std::array<int64_t, 2>>(addr);
  return v ? fmt_timespec_value((*v)[0], (*v)[1]) : fmt_ptr(addr);
}

std::string fmt_timeval(const Ctx& c, uint64_t addr) {
  if (addr == 0) return "NULL";
  auto v = c.read_obj<std::array<int64_t, 2>>(addr);
  return v ? fmt::format("{{tv_sec={}, tv_usec={}}}", (*v)[0], (*v)[1]) : fmt_ptr(addr);
}

}  // namespace corostack::trace
