// Flag and enum printing shared by every xlat_* table.
#include "trace/xlat_core.hpp"

#include <fmt/format.h>

namespace corostack::trace {

std::string hex(uint64_t v) {
  return v == 0 ? "0" : fmt::format("{:#x}", v);
}

const char* find_name(uint64_t value, std::span<const Xlat> table) {
  for (const Xlat& x : table)
    if (x.value == value) return x.name;
  return nullptr;
}

std::string format_flags(uint64_t value, std::span<const Xlat> table, const char* zero) {
  std::string out;
  uint64_t left = value;
  for (const Xlat& x : table) {
    // A zero-valued entry (O_RDONLY) is not a flag bit; tables that need one
    // print it themselves.
    if (x.value == 0 || (left & x.value) != x.value) continue;
    if (!out.empty()) out += '|';
    out += x.name;
    left &= ~x.value;
  }
  if (left != 0) {
    if (!out.empty()) out += '|';
    out += hex(left);
  }
  return out.empty() ? std::string(zero) : out;
}

std::string format_enum(uint64_t value, std::span<const Xlat> table, const char* unknown_comment) {
  if (const char* name = find_name(value, table)) return name;
  if (unknown_comment == nullptr) return std::to_string(static_cast<int64_t>(value));
  return fmt::format("{} /* {} */", hex(value), unknown_comment);
}

}  // namespace corostack::trace
