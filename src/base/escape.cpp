#include "base/escape.hpp"

#include "base/utf8.hpp"

#include <cstdint>

namespace corostack {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
// C1 controls (U+0080..U+009F) are valid here; the callers treat them.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  uint32_t cp;
  return decode_utf8(s, i, cp);
}

bool is_c1_control(std::string_view s, size_t i, size_t len) {
  return len == 2 && static_cast<uint8_t>(s[i]) == 0xC2 && static_cast<uint8_t>(s[i + 1]) < 0xA0;
}

// Unicode's bidirectional formatting characters (ALM, LRM, RLM, LRE..RLO,
// LRI..PDI): printed raw they reorder what the terminal shows around them
// ("Trojan Source", CVE-2021-42574), so a name could display as another.
bool is_bidi_control(std::string_view s, size_t i, size_t len) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  if (len == 2) return b(0) == 0xD8 && b(1) == 0x9C;  // U+061C
  if (len != 3 || b(0) != 0xE2) return false;
  if (b(1) == 0x80) return b(2) == 0x8E || b(2) == 0x8F || (b(2) >= 0xAA && b(2) <= 0xAE);
  return b(1) == 0x81 && b(2) >= 0xA6 && b(2) <= 0xA9;  // U+2066..U+2069
}

void append_code_point_escape(std::string& out, std::string_view seq) {
  uint32_t cp =
      seq.size() == 2
          ? (static_cast<uint8_t>(seq[0]) & 0x1F) << 6 | (static_cast<uint8_t>(seq[1]) & 0x3F)
          : (static_cast<uint8_t>(seq[0]) & 0x0F) << 12 |
                (static_cast<uint8_t>(seq[1]) & 0x3F) << 6 | (static_cast<uint8_t>(seq[2]) & 0x3F);
  static const char* kHex = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 0xF];
}

void append_hex_escape(std::string& out, uint8_t b) {
  static const char* kHex = "0123456789abcdef";
  out += "\\x";
  out += kHex[b >> 4];
  out += kHex[b & 0xF];
}

}  // namespace

std::string escape_for_terminal(std::string_view s, size_t max_bytes, bool keep_backslash) {
  std::string out;
  out.reserve(std::min(s.size(), max_bytes) + 8);
  size_t i = 0;
  while (i < s.size()) {
    if (out.size() >= max_bytes) {
      out += "…";
      break;
    }
    auto b = static_cast<uint8_t>(s[i]);
    if (b == '\\' && !keep_backslash) {
      out += "\\\\";
      ++i;
      continue;
    }
    if (b < 0x20 || b == 0x7F) {
      append_hex_escape(out, b);
      ++i;
      continue;
    }
    size_t len = utf8_sequence_length(s, i);
    if (len == 0 || is_c1_control(s, i, len)) {
      append_hex_escape(out, b);
      ++i;
      continue;
    }
    if (is_bidi_control(s, i, len)) {
      append_code_point_escape(out, s.substr(i, len));
      i += len;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

std::string sanitize_utf8(std::string_view s, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(s.size(), max_bytes));
  size_t i = 0;
  while (i < s.size()) {
    if (out.size() >= max_bytes) {
      out += "…";
      break;
    }
    size_t len = utf8_sequence_length(s, i);
    if (len == 0) {
      append_hex_escape(out, static_cast<uint8_t>(s[i]));
      ++i;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

}  // namespace corostack
