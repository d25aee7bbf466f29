#pragma once
// Addresses as people read them in output: "0x7f3a1c2d4e50", "0x0" for null.
#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace corostack {

inline std::string hex_address(uint64_t v) {
  return fmt::format("{:#x}", v);
}

}  // namespace corostack
