// mmap flags: an enumerated sharing type in the low bits plus flag bits.
#include "trace/xlat_mm.hpp"

namespace corostack::trace {

std::string format_mmap_flags(uint64_t flags) {
  std::string out = format_enum(flags & 3, kMapTypes, "MAP_???");
  if (uint64_t rest = flags & ~uint64_t{3}) out += "|" + format_flags(rest, kMapFlags);
  return out;
}

}  // namespace corostack::trace
