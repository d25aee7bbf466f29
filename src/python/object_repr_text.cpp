#include "python/object_repr_text.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

namespace corostack::python {

std::string python_float_repr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  if (r.ec != std::errc()) return "nan";  // cannot happen for a finite double
  std::string s(buf, r.ptr);
  std::string out;
  size_t i = 0;
  if (i < s.size() && s[i] == '-') {
    out += '-';
    ++i;
  }
  std::string digits;
  while (i < s.size() && s[i] != 'e') {
    if (s[i] != '.') digits += s[i];
    ++i;
  }
  int exp = 0;
  if (i < s.size())
    std::from_chars(s.data() + i + (s[i + 1] == '+' ? 2 : 1), s.data() + s.size(), exp);
  // to_chars writes the sign of a negative exponent; from_chars above skipped only '+'.
  // value = 0.digits * 10^decpt
  int decpt = exp + 1;
  int n = static_cast<int>(digits.size());
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0.";
      out.append(static_cast<size_t>(-decpt), '0');
      out += digits;
    } else if (decpt >= n) {
      out += digits;
      out.append(static_cast<size_t>(decpt - n), '0');
      out += ".0";
    } else {
      out += digits.substr(0, static_cast<size_t>(decpt));
      out += '.';
      out += digits.substr(static_cast<size_t>(decpt));
    }
  } else {
    out += digits[0];
    if (n > 1) {
      out += '.';
      out += digits.substr(1);
    }
    int e = decpt - 1;
    char eb[16];
    std::snprintf(eb, sizeof(eb), "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    out += eb;
  }
  return out;
}

std::string bigint_to_decimal(std::span<const uint32_t> digits) {
  std::vector<uint32_t> num(digits.begin(), digits.end());
  while (!num.empty() && num.back() == 0) num.pop_back();
  if (num.empty()) return "0";
  constexpr uint64_t kChunk = 1000000000;  // 10^9 < 2^30
  std::vector<uint32_t> chunks;            // base 10^9, least significant first
  while (!num.empty()) {
    uint64_t rem = 0;
    for (size_t i = num.size(); i-- > 0;) {
      uint64_t cur = (rem << 30) | (num[i] & 0x3fffffffu);  // rem < 10^9 < 2^30: fits
      num[i] = static_cast<uint32_t>(cur / kChunk);
      rem = cur % kChunk;
    }
    chunks.push_back(static_cast<uint32_t>(rem));
    while (!num.empty() && num.back() == 0) num.pop_back();
  }
  std::string out = std::to_string(chunks.back());
  for (size_t i = chunks.size() - 1; i-- > 0;) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%09u", chunks[i]);
    out += buf;
  }
  return out;
}

bool python_printable(uint32_t cp) {
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0xad) return false;
  if (cp >= 0xd800 && cp <= 0xdfff) return false;  // surrogates
  if (cp >= 0xe000 && cp <= 0xf8ff) return false;  // private use
  if (cp >= 0xf0000) return false;                 // planes 15-16: private use (and beyond)
  if ((cp & 0xfffe) == 0xfffe || (cp >= 0xfdd0 && cp <= 0xfdef)) return false;  // nonchars
  if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f) ||
      (cp >= 0x205f && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x206f) || cp == 0x3000 ||
      cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) || cp == 0x061c || cp == 0x180e ||
      (cp >= 0x0600 && cp <= 0x0605) || cp == 0x06dd || cp == 0x070f || cp == 0x110bd ||
      (cp >= 0x1bca0 && cp <= 0x1bca3) || (cp >= 0x1d173 && cp <= 0x1d17a) || cp == 0xe0001 ||
      (cp >= 0xe0020 && cp <= 0xe007f))
    return false;  // separators and format characters (Zs, Zl, Zp, Cf)
  return true;
}

void append_utf8(std::string& out, uint32_t cp) {
  if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) cp = 0xfffd;  // not encodable
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

namespace {

void append_hex_escape(std::string& out, char kind, uint32_t v, int width) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "\\%c%0*x", kind, width, v);
  out += buf;
}

template <typename T>
char pick_quote(std::span<const T> s) {
  bool single = false, dbl = false;
  for (T c : s) {
    if (c == '\'') single = true;
    if (c == '"') dbl = true;
  }
  return single && !dbl ? '"' : '\'';
}

// Escapes shared by str and bytes; true when c was handled.
bool append_common_escape(std::string& out, uint32_t c, char quote) {
  switch (c) {
    case '\\':
      out += "\\\\";
      return true;
    case '\t':
      out += "\\t";
      return true;
    case '\n':
      out += "\\n";
      return true;
    case '\r':
      out += "\\r";
      return true;
    default:
      break;
  }
  if (c == static_cast<uint32_t>(quote)) {
    out += '\\';
    out += quote;
    return true;
  }
  return false;
}

}  // namespace

std::string python_str_repr(std::span<const uint32_t> code_points) {
  char quote = pick_quote(code_points);
  std::string out(1, quote);
  for (uint32_t c : code_points) {
    if (append_common_escape(out, c, quote)) continue;
    if (c < 0x20 || c == 0x7f) {
      append_hex_escape(out, 'x', c, 2);
    } else if (c < 0x7f) {
      out += static_cast<char>(c);
    } else if (python_printable(c) && c <= 0x10ffff) {
      append_utf8(out, c);
    } else if (c <= 0xff) {
      append_hex_escape(out, 'x', c, 2);
    } else if (c <= 0xffff) {
      append_hex_escape(out, 'u', c, 4);
    } else {
      append_hex_escape(out, 'U', c, 8);
    }
  }
  out += quote;
  return out;
}

std::string python_bytes_repr(std::span<const uint8_t> bytes) {
  char quote = pick_quote(bytes);
  std::string out = "b";
  out += quote;
  for (uint8_t c : bytes) {
    if (append_common_escape(out, c, quote)) continue;
    if (c < 0x20 || c >= 0x7f) {
      append_hex_escape(out, 'x', c, 2);
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
  return out;
}

std::string python2_unicode_repr(std::span<const uint32_t> code_points) {
  // 2.7's unicodeescape_string(quotes=1): everything outside printable ASCII
  // is escaped, the shortest of \xhh, \uxxxx, \Uxxxxxxxx.
  char quote = pick_quote(code_points);
  std::string out = "u";
  out += quote;
  for (uint32_t c : code_points) {
    if (append_common_escape(out, c, quote)) continue;
    if (c >= 0x10000) {
      append_hex_escape(out, 'U', c, 8);
    } else if (c >= 0x100) {
      append_hex_escape(out, 'u', c, 4);
    } else if (c < 0x20 || c >= 0x7f) {
      append_hex_escape(out, 'x', c, 2);
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
  return out;
}

std::string python2_str_repr(std::span<const uint8_t> bytes) {
  return python_bytes_repr(bytes).substr(1);  // 2.7's string_repr: bytes' repr without the b
}

}  // namespace corostack::python
