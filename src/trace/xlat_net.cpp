// Socket type and protocol printing: both depend on more than one table.
#include "trace/xlat_net.hpp"

namespace corostack::trace {

std::string format_socket_type(uint64_t type) {
  std::string out = format_enum(type & 0xf, kSocketTypes, "SOCK_???");
  if (uint64_t rest = type & ~uint64_t{0xf}) out += "|" + format_flags(rest, kSocketTypeFlags);
  return out;
}

std::string format_socket_protocol(uint64_t family, uint64_t protocol) {
  switch (family) {
    case 2:   // AF_INET
    case 10:  // AF_INET6
      return format_enum(protocol, kIpProtocols, "IPPROTO_???");
    case 16:  // AF_NETLINK
      return format_enum(protocol, kNetlinkProtocols, "NETLINK_???");
    default:
      return std::to_string(static_cast<int>(protocol));
  }
}

std::span<const Xlat> sockopt_names(uint64_t level) {
  switch (level) {
    case 0:
      return kSolIpOptions;
    case 1:
      return kSolSocketOptions;
    case 6:
      return kSolTcpOptions;
    case 41:
      return kSolIpv6Options;
    default:
      return {};
  }
}

}  // namespace corostack::trace
