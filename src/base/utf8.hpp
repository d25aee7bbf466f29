#pragma once
// Strict UTF-8 decoding of untrusted bytes, shared by every escaper.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace corostack {

// Decodes the sequence starting at s[i] (i < s.size()): its length, with the
// code point in `cp`, or 0 when it is not valid UTF-8 (truncated, overlong,
// a surrogate, beyond U+10FFFF).
inline size_t decode_utf8(std::string_view s, size_t i, uint32_t& cp) {
  auto b = static_cast<uint8_t>(s[i]);
  if (b < 0x80) {
    cp = b;
    return 1;
  }
  size_t len;
  if ((b & 0xE0) == 0xC0) {
    len = 2;
    cp = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    len = 3;
    cp = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    len = 4;
    cp = b & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    auto c = static_cast<uint8_t>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return 0;
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
  if (cp > 0x10FFFF) return 0;
  return len;
}

}  // namespace corostack
