// Path-based calls: open*, stat*, access*, links, directories. Paths are
// read up to PATH_MAX and not cut by -s, as strace does.
#include <fmt/format.h>

#include "trace/decode_registry.hpp"
#include "trace/xlat_fs.hpp"

namespace corostack::trace {
namespace {

constexpr uint64_t kOCreat = 0100;
constexpr uint64_t kOTmpfile = 020000000;

// The mode argument means something only when the call may create a file.
int open_count(const Ctx& c) {
  return (c.arg(1) & (kOCreat | kOTmpfile)) ? 3 : 2;
}
int openat_count(const Ctx& c) {
  return (c.arg(2) & (kOCreat | kOTmpfile)) ? 4 : 3;
}

constexpr Xlat kResolveFlags[] = {
    {1, "RESOLVE_NO_XDEV"}, {2, "RESOLVE_NO_MAGICLINKS"}, {4, "RESOLVE_NO_SYMLINKS"},
    {8, "RESOLVE_BENEATH"}, {0x10, "RESOLVE_IN_ROOT"},    {0x20, "RESOLVE_CACHED"},
};

std::string open_how(const Ctx& c, int i) {
  struct How {
    uint64_t flags, mode, resolve;
  };
  auto h = c.read_obj<How>(c.arg(i));
  if (!h) return fmt_ptr(c.arg(i));
  std::string out = "{flags=" + format_open_flags(h->flags);
  if (h->mode != 0 || (h->flags & (kOCreat | kOTmpfile))) out += ", mode=" + fmt_octal(h->mode);
  if (h->resolve != 0) out += ", resolve=" + format_flags(h->resolve, kResolveFlags);
  return out + "}";
}

std::string makedev(uint64_t dev) {
  uint64_t major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~uint64_t{0xfff});
  uint64_t minor = (dev & 0xff) | ((dev >> 12) & ~uint64_t{0xff});
  return fmt::format("makedev({}, {})", hex(major), hex(minor));
}

// struct stat, x86-64 layout, in strace's abbreviated form.
std::string stat_buf(const Ctx& c, int i) {
  if (!c.exiting || c.failed()) return fmt_ptr(c.arg(i));
  struct Stat {
    uint64_t dev, ino, nlink;
    uint32_t mode, uid, gid, pad;
    uint64_t rdev;
    int64_t size, blksize, blocks;
    uint64_t times[6];
    int64_t reserved[3];
  };
  auto st = c.read_obj<Stat>(c.arg(i));
  if (!st) return fmt_ptr(c.arg(i));
  std::string out = "{st_mode=" + format_file_mode(st->mode);
  uint32_t type = st->mode & 0170000;
  if (type == 0020000 || type == 0060000)
    out += ", st_rdev=" + makedev(st->rdev);
  else
    out += fmt::format(", st_size={}", st->size);
  return out + ", ...}";
}

std::string statx_flags(const Ctx& c, int i) {
  uint64_t f = c.arg(i) & 0xffffffff;
  return f == 0 ? "AT_STATX_SYNC_AS_STAT" : format_flags(f, kAtFlags);
}
std::string statx_mask(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kStatxMask);
}

std::string statx_buf(const Ctx& c, int i) {
  if (!c.exiting || c.failed()) return fmt_ptr(c.arg(i));
  struct Statx {
    uint32_t mask, blksize;
    uint64_t attributes;
    uint32_t nlink, uid, gid;
    uint16_t mode, pad;
    uint64_t ino, size;
  };
  auto st = c.read_obj<Statx>(c.arg(i));
  if (!st) return fmt_ptr(c.arg(i));
  return fmt::format("{{stx_mask={}, stx_attributes={}, stx_mode={}, stx_size={}, ...}}",
                     format_flags(st->mask, kStatxMask), hex(st->attributes),
                     format_file_mode(st->mode), st->size);
}

std::string access_mode(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kAccessBits, "F_OK");
}
std::string faccessat_flags(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kFaccessatFlags);
}
std::string rename_flags(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kRenameFlags);
}
std::string inotify_mask(const Ctx& c, int i) {
  return format_flags(c.arg(i) & 0xffffffff, kInotifyMask);
}

// readlink's and getcwd's result: a string of the returned length.
std::string link_out(const Ctx& c, int i) {
  if (!c.exiting || c.failed()) return fmt_ptr(c.arg(i));
  return fmt_buffer(c, c.arg(i), static_cast<uint64_t>(c.ret));
}
std::string cwd_out(const Ctx& c, int i) {
  if (!c.exiting || c.failed()) return fmt_ptr(c.arg(i));
  return fmt_path(c, c.arg(i));
}

}  // namespace

std::span<const Decoder> file_decoders() {
  using namespace arg;
  constexpr auto kFd = RetKind::kFd;
  static const Decoder kDecoders[] = {
      {.name = "open", .args = {path, open_flags, mode}, .count = open_count, .ret = kFd},
      {.name = "openat",
       .args = {dirfd, path, open_flags, mode},
       .count = openat_count,
       .ret = kFd},
      {.name = "openat2", .args = {dirfd, path, open_how, ulong}, .ret = kFd},
      {.name = "creat", .args = {path, mode}, .ret = kFd},
      {.name = "stat", .args = {path, stat_buf}, .exit_from = 1},
      {.name = "lstat", .args = {path, stat_buf}, .exit_from = 1},
      {.name = "fstat", .args = {fd, stat_buf}, .exit_from = 1},
      {.name = "newfstatat", .args = {dirfd, path, stat_buf, at_flags}, .exit_from = 2},
      {.name = "statx", .args = {dirfd, path, statx_flags, statx_mask, statx_buf}, .exit_from = 4},
      {.name = "access", .args = {path, access_mode}},
      {.name = "faccessat", .args = {dirfd, path, access_mode}},
      {.name = "faccessat2", .args = {dirfd, path, access_mode, faccessat_flags}},
      {.name = "readlink", .args = {path, link_out, ulong}, .exit_from = 1},
      {.name = "readlinkat", .args = {dirfd, path, link_out, ulong}, .exit_from = 2},
      {.name = "unlink", .args = {path}},
      {.name = "unlinkat", .args = {dirfd, path, at_flags}},
      {.name = "mkdir", .args = {path, mode}},
      {.name = "mkdirat", .args = {dirfd, path, mode}},
      {.name = "rmdir", .args = {path}},
      {.name = "rename", .args = {path, path}},
      {.name = "renameat", .args = {dirfd, path, dirfd, path}},
      {.name = "renameat2", .args = {dirfd, path, dirfd, path, rename_flags}},
      {.name = "chdir", .args = {path}},
      {.name = "fchdir", .args = {fd}},
      {.name = "getcwd", .args = {cwd_out, ulong}, .exit_from = 0},
      {.name = "truncate", .args = {path, long_}},
      {.name = "inotify_add_watch", .args = {fd, path, inotify_mask}},
      {.name = "chmod", .args = {path, mode}},
      {.name = "fchmod", .args = {fd, mode}},
      {.name = "fchmodat", .args = {dirfd, path, mode}},
      {.name = "umask", .args = {mode}, .ret = RetKind::kOctal},
  };
  return kDecoders;
}

}  // namespace corostack::trace
