#pragma once
// Value-to-name tables ("xlat" in strace's words) and the two ways strace
// prints them: a bit set joined by '|' and an enumeration. Each table lists
// names in strace's order, because that order is what the output shows.
#include <cstdint>
#include <span>
#include <string>

namespace corostack::trace {

struct Xlat {
  uint64_t value;
  const char* name;
};

// Unknown leftover bits print as hex after the names ("MSG_PEEK|0x80000000");
// no bits at all print as `zero` (strace: "0").
std::string format_flags(uint64_t value, std::span<const Xlat> table, const char* zero = "0");
// The name, or "0x2a /* AF_??? */" with `unknown_comment` ("AF_???"); with a
// null comment just the number in decimal.
std::string format_enum(uint64_t value, std::span<const Xlat> table,
                        const char* unknown_comment = nullptr);
const char* find_name(uint64_t value, std::span<const Xlat> table);
std::string hex(uint64_t v);  // "0x1f"; 0 prints as "0" (C's %#lx)

}  // namespace corostack::trace
