// Family-specific sockaddr printing (inet, inet6, unix, netlink; others as
// their raw sa_data).
#include "trace/decode_sockaddr.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

#include "trace/decode_quote.hpp"
#include "trace/xlat_net.hpp"

namespace corostack::trace {
namespace {

constexpr size_t kStorage = 128;

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
uint32_t le32(const uint8_t* p) {
  return uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0];
}

// An address as strace quotes it: a string like any other, so -xx shows
// inet_addr("\x31\x32\x37...").
std::string quoted_address(const Ctx& c, const char* text) {
  auto* p = reinterpret_cast<const uint8_t*>(text);
  return quote_bytes(std::span<const uint8_t>(p, std::strlen(text)), c.opts.hex, false);
}

std::string inet(const Ctx& c, std::span<const uint8_t> b) {
  if (b.size() < 8) return {};
  char ip[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, b.data() + 4, ip, sizeof ip);
  return fmt::format(", sin_port=htons({}), sin_addr=inet_addr({})", be16(&b[2]),
                     quoted_address(c, ip));
}

std::string inet6(const Ctx& c, std::span<const uint8_t> b) {
  if (b.size() < 24) return {};
  char ip[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET6, b.data() + 8, ip, sizeof ip);
  std::string out = fmt::format(
      ", sin6_port=htons({}), sin6_flowinfo=htonl({}), "
      "inet_pton(AF_INET6, {}, &sin6_addr)",
      be16(&b[2]), be32(&b[4]), quoted_address(c, ip));
  if (b.size() >= 28) out += fmt::format(", sin6_scope_id={}", le32(&b[24]));
  return out;
}

std::string unix_path(const Ctx& c, std::span<const uint8_t> b) {
  if (b.size() <= 2) return {};
  auto path = b.subspan(2);
  if (path[0] == 0) {  // abstract: the whole length is the name
    return ", sun_path=@" + quote_bytes(path.subspan(1), c.opts.hex, false);
  }
  auto nul = std::find(path.begin(), path.end(), uint8_t{0});
  return ", sun_path=" + quote_bytes(std::span(path.begin(), nul), c.opts.hex, false);
}

std::string netlink(std::span<const uint8_t> b) {
  if (b.size() < 12) return {};
  return fmt::format(", nl_pid={}, nl_groups={:08x}", le32(&b[4]), le32(&b[8]));
}

std::string family_fields(const Ctx& c, uint16_t family, std::span<const uint8_t> b) {
  switch (family) {
    case AF_INET:
      return inet(c, b);
    case AF_INET6:
      return inet6(c, b);
    case AF_UNIX:
      return unix_path(c, b);
    case AF_NETLINK:
      return netlink(b);
    default:
      if (b.size() <= 2) return {};
      return ", sa_data=" + quote_bytes(b.subspan(2), c.opts.hex, false);
  }
}

}  // namespace

std::string fmt_sockaddr(const Ctx& c, uint64_t addr, int64_t len) {
  if (addr == 0) return "NULL";
  if (len <= 0) return fmt_ptr(addr);
  std::vector<uint8_t> b(std::min<size_t>(static_cast<size_t>(len), kStorage));
  if (!c.read(addr, b.data(), b.size())) return fmt_ptr(addr);
  if (b.size() < 2) return fmt_ptr(addr);
  uint16_t family = static_cast<uint16_t>(b[0] | b[1] << 8);
  return "{sa_family=" + format_enum(family, kAddressFamilies, "AF_???") +
         family_fields(c, family, b) + "}";
}

}  // namespace corostack::trace
