#pragma once
// The decoders' toolbox: one Ctx per call and phase, and the formatters for
// the shapes every family uses (fds, pointers, strings, buffers, paths,
// numbers). Every read of target memory goes through here and is bounded.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "trace/syscall_decode.hpp"

namespace corostack::trace {

// Never trust a length from the target: no single read is larger.
inline constexpr size_t kMaxRead = 1 << 20;
inline constexpr size_t kPathMax = 4096;

struct Ctx {
  const CallArgs& call;
  const MemoryReader& mem;
  const FdNames& fds;
  const DecodeOptions& opts;
  bool exiting = false;
  int64_t ret = 0;

  uint64_t arg(int i) const { return call.args[static_cast<size_t>(i)]; }
  int iarg(int i) const { return static_cast<int>(arg(i)); }  // C "int" parameters
  // At exit, after a call that failed: output buffers print as addresses.
  bool failed() const { return exiting && ret < 0 && ret >= -4095; }
  // Elements of an array shown before "...": strace uses -s for them too.
  size_t max_elements() const { return opts.string_limit; }
  bool read(uint64_t addr, void* out, size_t n) const;
  template <typename T>
  std::optional<T> read_obj(uint64_t addr) const {
    T v{};
    if (!read(addr, &v, sizeof v)) return std::nullopt;
    return v;
  }
};

std::string fmt_ptr(uint64_t addr);  // "NULL" or "0x7ffd..."
std::string fmt_int(int64_t v);
std::string fmt_uint(uint64_t v);
std::string fmt_octal(uint64_t v);  // "0644", 0 as "000"
std::string fmt_fd(const Ctx& c, int fd);
std::string fmt_dirfd(const Ctx& c, int fd);  // AT_FDCWD
// A buffer of `len` bytes (only -s of them shown).
std::string fmt_buffer(const Ctx& c, uint64_t addr, uint64_t len, bool force_hex = false);
// A NUL-terminated string of at most -s characters (then "...").
std::string fmt_cstring(const Ctx& c, uint64_t addr);
// A path: up to PATH_MAX, not cut by -s.
std::string fmt_path(const Ctx& c, uint64_t addr);
// "[42]": an int the kernel reads or writes through a pointer.
std::string fmt_int_ptr(const Ctx& c, uint64_t addr);
// "{tv_sec=1, tv_nsec=0}" (struct timespec) and "{tv_sec=1, tv_usec=0}".
std::string fmt_timespec(const Ctx& c, uint64_t addr);
std::string fmt_timeval(const Ctx& c, uint64_t addr);
std::string fmt_timespec_value(int64_t sec, int64_t nsec);

// Prints `count` elements of `size` bytes each as "[a, b, ...]", at most
// max_elements() of them, reading each one separately.
template <typename Elem, typename Fn>
std::string fmt_array(const Ctx& c, uint64_t addr, uint64_t count, Fn&& each) {
  if (addr == 0) return "NULL";
  std::string out = "[";
  for (uint64_t i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    if (i >= c.max_elements()) {
      out += "...";
      break;
    }
    uint64_t at = addr + i * sizeof(Elem);
    auto e = c.read_obj<Elem>(at);
    if (!e) {
      if (i == 0) return fmt_ptr(addr);
      out += "... /* " + fmt_ptr(at) + " */";  // strace: the rest is unreadable
      break;
    }
    out += each(*e);
  }
  return out + "]";
}

}  // namespace corostack::trace
