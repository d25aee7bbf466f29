#pragma once
// Bounds-checked reading of little-endian fixed-size values from a byte span.
// Every read that would leave the span fails instead of reading past it.
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <type_traits>

#include "base/checked.hpp"

namespace corostack {

class ByteCursor {
 public:
  explicit ByteCursor(std::span<const std::byte> data) : data_(data) {}

  size_t offset() const { return off_; }
  size_t remaining() const { return data_.size() - off_; }
  bool seek(size_t off) {
    if (off > data_.size()) return false;
    off_ = off;
    return true;
  }
  bool skip(size_t n) {
    if (n > remaining()) return false;
    off_ += n;
    return true;
  }

  template <typename T>
  std::optional<T> read() {
    static_assert(std::is_trivially_copyable_v<T>);
    if (sizeof(T) > remaining()) return std::nullopt;
    T v;
    std::memcpy(&v, data_.data() + off_, sizeof(T));
    off_ += sizeof(T);
    return v;
  }

  std::optional<std::span<const std::byte>> bytes(size_t n) {
    if (n > remaining()) return std::nullopt;
    auto s = data_.subspan(off_, n);
    off_ += n;
    return s;
  }

  // A NUL-terminated string of at most max_len bytes (the NUL is consumed).
  std::optional<std::string> cstring(size_t max_len) {
    size_t limit = std::min(remaining(), max_len);
    const char* p = reinterpret_cast<const char*>(data_.data() + off_);
    size_t n = strnlen(p, limit);
    if (n == limit) return std::nullopt;
    std::string s(p, n);
    off_ += n + 1;
    return s;
  }

 private:
  std::span<const std::byte> data_;
  size_t off_ = 0;
};

// Reads a T at a fixed offset of a span; nullopt when out of bounds.
template <typename T>
std::optional<T> read_at(std::span<const std::byte> data, uint64_t off) {
  static_assert(std::is_trivially_copyable_v<T>);
  if (!range_within(off, sizeof(T), data.size())) return std::nullopt;
  T v;
  std::memcpy(&v, data.data() + off, sizeof(T));
  return v;
}

}  // namespace corostack
