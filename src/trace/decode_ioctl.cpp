// ioctl: a few requests services make (terminal probing, FIONREAD, FIONBIO)
// by name; everything else as strace prints an unknown request, the _IOC()
// fields of its number, with the argument in hex.
#include <fmt/format.h>

#include "trace/decode_registry.hpp"
#include "trace/xlat_core.hpp"

namespace corostack::trace {
namespace {

enum class IoArg { kNone, kHex, kIntIn, kIntOut, kWinsize, kPtrOut };

struct Request {
  uint64_t nr;
  const char* name;
  IoArg arg;
};

constexpr Request kRequests[] = {
    {0x5401, "TCGETS", IoArg::kPtrOut},      {0x5402, "TCSETS", IoArg::kHex},
    {0x5403, "TCSETSW", IoArg::kHex},        {0x5404, "TCSETSF", IoArg::kHex},
    {0x540f, "TIOCGPGRP", IoArg::kIntOut},   {0x5410, "TIOCSPGRP", IoArg::kIntIn},
    {0x5413, "TIOCGWINSZ", IoArg::kWinsize}, {0x5414, "TIOCSWINSZ", IoArg::kHex},
    {0x541b, "FIONREAD", IoArg::kIntOut},    {0x5421, "FIONBIO", IoArg::kIntIn},
    {0x5450, "FIONCLEX", IoArg::kNone},      {0x5451, "FIOCLEX", IoArg::kNone},
    {0x5452, "FIOASYNC", IoArg::kIntIn},     {0x540e, "TIOCSCTTY", IoArg::kHex},
    {0x5422, "TIOCNOTTY", IoArg::kNone},     {0x5429, "TIOCGSID", IoArg::kIntOut},
};

const Request* find_request(uint64_t nr) {
  for (const Request& r : kRequests)
    if (r.nr == nr) return &r;
  return nullptr;
}

std::string ioc(uint64_t req) {
  static const char* const kDirs[] = {"_IOC_NONE", "_IOC_WRITE", "_IOC_READ",
                                      "_IOC_READ|_IOC_WRITE"};
  return fmt::format("_IOC({}, {}, {}, {})", kDirs[(req >> 30) & 3], hex((req >> 8) & 0xff),
                     hex(req & 0xff), hex((req >> 16) & 0x3fff));
}

std::string winsize(const Ctx& c, uint64_t addr) {
  auto w = c.read_obj<std::array<uint16_t, 4>>(addr);
  if (!w) return fmt_ptr(addr);
  return fmt::format("{{ws_row={}, ws_col={}, ws_xpixel={}, ws_ypixel={}}}", (*w)[0], (*w)[1],
                     (*w)[2], (*w)[3]);
}

std::string out_arg(const Ctx& c, IoArg kind, uint64_t addr) {
  if (!c.exiting || c.failed()) return fmt_ptr(addr);
  if (kind == IoArg::kIntOut) return fmt_int_ptr(c, addr);
  if (kind == IoArg::kWinsize) return winsize(c, addr);
  return fmt_ptr(addr);
}

int ioctl_args(const Ctx& c, std::vector<std::string>& out) {
  uint64_t req = c.arg(1) & 0xffffffff;
  out.push_back(fmt_fd(c, c.iarg(0)));
  const Request* r = find_request(req);
  if (!r) {
    out.push_back(ioc(req));
    out.push_back(hex(c.arg(2)));
    return 3;
  }
  out.push_back(r->name);
  switch (r->arg) {
    case IoArg::kNone:
      return 2;
    case IoArg::kHex:
      out.push_back(hex(c.arg(2)));
      return 3;
    case IoArg::kIntIn:
      out.push_back(fmt_int_ptr(c, c.arg(2)));
      return 3;
    default:
      out.push_back(out_arg(c, r->arg, c.arg(2)));
      return 2;
  }
}

}  // namespace

std::span<const Decoder> ioctl_decoders() {
  static const Decoder kDecoders[] = {{.name = "ioctl", .custom = ioctl_args}};
  return kDecoders;
}

}  // namespace corostack::trace
