// String quoting as strace 6.1's string_quote does it.
#include "trace/decode_quote.hpp"

#include <cstring>

namespace corostack::trace {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

bool printable(uint8_t c) {
  return c >= 0x20 && c < 0x7f;
}

// -x: one byte that is neither printable ASCII nor a space-like control
// (\t \n \v \f \r) switches the whole string to hex.
bool needs_hex(std::span<const uint8_t> bytes) {
  for (uint8_t c : bytes) {
    if (c > 0x7e) return true;
    if (c < 0x20 && (c < 9 || c > 13)) return true;
  }
  return false;
}

void put_hex(std::string& out, uint8_t c) {
  out += "\\x";
  out += kHexDigits[c >> 4];
  out += kHexDigits[c & 15];
}

// Shortest octal, unless the next byte is an octal digit that would be read
// as part of the escape: then three digits.
void put_octal(std::string& out, uint8_t c, bool pad) {
  out += '\\';
  if (pad || c > 077) out += static_cast<char>('0' + (c >> 6));
  if (pad || c > 07) out += static_cast<char>('0' + ((c >> 3) & 7));
  out += static_cast<char>('0' + (c & 7));
}

const char* named_escape(uint8_t c) {
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\f':
      return "\\f";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    case '\v':
      return "\\v";
    default:
      return nullptr;
  }
}

void put_escaped(std::string& out, std::span<const uint8_t> bytes, const char* also) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    uint8_t c = bytes[i];
    if (const char* e = named_escape(c)) {
      out += e;
    } else if (printable(c) && !std::strchr(also, c)) {
      out += static_cast<char>(c);
    } else {
      bool next_digit = i + 1 < bytes.size() && bytes[i + 1] >= '0' && bytes[i + 1] <= '7';
      put_octal(out, c, next_digit);
    }
  }
}

}  // namespace

std::string quote_bytes(std::span<const uint8_t> bytes, int hex, bool truncated, bool force_hex) {
  std::string out = "\"";
  if (force_hex || hex >= 2 || (hex == 1 && needs_hex(bytes))) {
    for (uint8_t c : bytes) put_hex(out, c);
  } else {
    put_escaped(out, bytes, "");
  }
  out += '"';
  if (truncated) out += "...";
  return out;
}

std::string escape_plain(std::string_view s, const char* also) {
  std::string out;
  put_escaped(out, std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()), also);
  return out;
}

}  // namespace corostack::trace
