#pragma once
// Checked arithmetic for sizes and addresses that come from untrusted input
// (core files, another process's memory).
#include <cstdint>
#include <optional>

namespace corostack {

inline std::optional<uint64_t> checked_add(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

inline std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// True when [off, off+len) lies inside [0, size).
inline bool range_within(uint64_t off, uint64_t len, uint64_t size) {
  return off <= size && len <= size - off;
}

inline uint64_t align_up(uint64_t v, uint64_t a) {
  return (v + a - 1) & ~(a - 1);
}
inline uint64_t align_down(uint64_t v, uint64_t a) {
  return v & ~(a - 1);
}

}  // namespace corostack
