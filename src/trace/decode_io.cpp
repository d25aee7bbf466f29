// Reading and writing: read/write families, vectors, pipes, dup, seeking,
// fcntl and ioctl. Output buffers are shown at exit, as long as the return
// value says the kernel filled them.
#include <fmt/format.h>

#include <algorithm>

#include "trace/decode_registry.hpp"
#include "trace/xlat_fs.hpp"
#include "trace/xlat_signals.hpp"

namespace corostack::trace {

std::string fmt_iovec(const Ctx& c, uint64_t addr, uint64_t count, uint64_t data_left) {
  struct Iov {
    uint64_t base, len;
  };
  return fmt_array<Iov>(c, addr, count, [&](const Iov& v) {
    uint64_t shown = std::min(v.len, data_left);
    data_left -= shown;
    return fmt::format("{{iov_base={}, iov_len={}}}", fmt_buffer(c, v.base, shown), v.len);
  });
}

namespace arg {
std::string iovec_in(const Ctx& c, int i) {
  return fmt_iovec(c, c.arg(i), c.arg(i + 1), ~uint64_t{0});
}
std::string iovec_out(const Ctx& c, int i) {
  if (!c.exiting || c.failed()) return fmt_ptr(c.arg(i));
  return fmt_iovec(c, c.arg(i), c.arg(i + 1), static_cast<uint64_t>(c.ret));
}
}  // namespace arg

namespace {

std::string pipe_fds(const Ctx& c, int i) {
  if (c.failed()) return fmt_ptr(c.arg(i));
  auto fds = c.read_obj<std::array<int32_t, 2>>(c.arg(i));
  if (!fds) return fmt_ptr(c.arg(i));
  return fmt::format("[{}, {}]", fmt_fd(c, (*fds)[0]), fmt_fd(c, (*fds)[1]));
}

std::string fd_flags_arg(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kOpenFlags);  // pipe2, dup3: no access mode
}
std::string whence(const Ctx& c, int i) {
  return format_enum(c.arg(i) & 0xffffffff, kSeekWhence, "SEEK_???");
}
std::string flock_op(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kFlockOps);
}
std::string loff_ptr(const Ctx& c, int i) {
  if (c.arg(i) == 0) return "NULL";
  auto v = c.read_obj<int64_t>(c.arg(i));
  return v ? "[" + std::to_string(*v) + "]" : fmt_ptr(c.arg(i));
}

// getdents64 in strace's short form: the buffer address and an entry count.
std::string dirents(const Ctx& c, int i) {
  if (!c.exiting || c.failed() || c.ret <= 0) return fmt_ptr(c.arg(i));
  size_t len = std::min<size_t>(static_cast<size_t>(c.ret), kMaxRead);
  std::vector<uint8_t> buf(len);
  if (!c.read(c.arg(i), buf.data(), len)) return fmt_ptr(c.arg(i));
  size_t entries = 0;
  for (size_t off = 0; off + 19 <= len; ++entries) {
    uint16_t reclen = static_cast<uint16_t>(buf[off + 16] | buf[off + 17] << 8);
    if (reclen == 0) break;
    off += reclen;
  }
  return fmt::format("{} /* {} entries */", fmt_ptr(c.arg(i)), entries);
}

// fcntl: the third argument's meaning (and presence) follows the command.
int fcntl_count(const Ctx& c) {
  switch (c.arg(1) & 0xffffffff) {
    case 1:
    case 3:
    case 9:
    case 11:
    case 1025:
    case 1032:
    case 1034:
      return 2;
    default:
      return 3;
  }
}

std::string flock_struct(const Ctx& c, uint64_t addr) {
  struct Flock {
    int16_t type, whence;
    int32_t pad;
    int64_t start, len;
    int32_t pid, pad2;
  };
  auto f = c.read_obj<Flock>(addr);
  if (!f) return fmt_ptr(addr);
  return fmt::format("{{l_type={}, l_whence={}, l_start={}, l_len={}}}",
                     format_enum(static_cast<uint16_t>(f->type), kLockTypes, "F_???"),
                     format_enum(static_cast<uint16_t>(f->whence), kSeekWhence, "SEEK_???"),
                     f->start, f->len);
}

std::string fcntl_arg(const Ctx& c, int i) {
  uint64_t v = c.arg(i);
  switch (c.arg(1) & 0xffffffff) {
    case 2:
      return format_flags(v & 0xffffffff, kFdFlags);
    case 4:
      return format_open_flags(v & 0xffffffff);
    case 5:
    case 6:
    case 7:
    case 36:
    case 37:
    case 38:
      return flock_struct(c, v);
    case 10:
      return signal_arg(static_cast<int>(v));
    case 1024:
      return format_enum(v & 0xffffffff, kLockTypes, "F_???");
    case 0:
    case 8:
    case 1030:
    case 1031:
      return fmt_int(static_cast<int>(v));
    default:
      return hex(v);
  }
}

std::string fcntl_cmd(const Ctx& c, int i) {
  return format_enum(c.arg(i) & 0xffffffff, kFcntlCmds, "F_???");
}

std::string fcntl_ret(const Ctx& c) {
  switch (c.arg(1) & 0xffffffff) {
    case 0:
    case 1030:
      return fmt_fd(c, static_cast<int>(c.ret));
    case 1:
      if (c.ret == 0) return "0";
      return fmt::format("{} (flags {})", hex(static_cast<uint64_t>(c.ret)),
                         format_flags(static_cast<uint64_t>(c.ret), kFdFlags));
    case 3:
      return fmt::format("{} (flags {})", hex(static_cast<uint64_t>(c.ret)),
                         format_open_flags(static_cast<uint64_t>(c.ret)));
    case 1025:
      return format_enum(static_cast<uint64_t>(c.ret), kLockTypes, "F_???");
    default:
      return std::to_string(c.ret);
  }
}

}  // namespace

std::span<const Decoder> io_decoders() {
  using namespace arg;
  static const Decoder kDecoders[] = {
      {.name = "read", .args = {fd, buf_out, ulong}, .exit_from = 1},
      {.name = "write", .args = {fd, buf_in, ulong}},
      {.name = "pread64", .args = {fd, buf_out, ulong, long_}, .exit_from = 1},
      {.name = "pwrite64", .args = {fd, buf_in, ulong, long_}},
      {.name = "readv", .args = {fd, iovec_out, int_}, .exit_from = 1},
      {.name = "writev", .args = {fd, iovec_in, int_}},
      {.name = "preadv", .args = {fd, iovec_out, int_, long_}, .exit_from = 1},
      {.name = "pwritev", .args = {fd, iovec_in, int_, long_}},
      {.name = "close", .args = {fd}},
      {.name = "lseek", .args = {fd, long_, whence}},
      {.name = "dup", .args = {fd}, .ret = RetKind::kFd},
      {.name = "dup2", .args = {fd, fd}, .ret = RetKind::kFd},
      {.name = "dup3", .args = {fd, fd, fd_flags_arg}, .ret = RetKind::kFd},
      {.name = "pipe", .args = {pipe_fds}, .exit_from = 0},
      {.name = "pipe2", .args = {pipe_fds, fd_flags_arg}, .exit_from = 0},
      {.name = "fsync", .args = {fd}},
      {.name = "fdatasync", .args = {fd}},
      {.name = "ftruncate", .args = {fd, long_}},
      {.name = "flock", .args = {fd, flock_op}},
      {.name = "sendfile", .args = {fd, fd, loff_ptr, ulong}},
      {.name = "copy_file_range", .args = {fd, loff_ptr, fd, loff_ptr, ulong, hex}},
      {.name = "getdents64", .args = {fd, dirents, ulong}, .exit_from = 1},
      {.name = "fcntl",
       .args = {fd, fcntl_cmd, fcntl_arg},
       .count = fcntl_count,
       .ret_fn = fcntl_ret},
  };
  return kDecoders;
}

}  // namespace corostack::trace
