#pragma once
// strace's string quoting: "hello\n", \NNN octal for other non-printables,
// -x switching the whole string to \xNN when any byte is not printable ASCII,
// -xx hex for every byte. Output never holds a raw control byte.
#include <cstdint>
#include <span>
#include <string>

namespace corostack::trace {

// Quotes `bytes`; `hex` as DecodeOptions::hex; `force_hex` for buffers strace
// always shows in hex (getrandom). Adds the closing `"...` when `truncated`.
std::string quote_bytes(std::span<const uint8_t> bytes, int hex, bool truncated,
                        bool force_hex = false);
// Text from a trusted-but-odd source (FdNames, /proc) made safe for the
// terminal the way strace escapes paths inside <...>: octal for
// non-printables and for the characters in `also` (strace: "<>").
std::string escape_plain(std::string_view s, const char* also = "");

}  // namespace corostack::trace
