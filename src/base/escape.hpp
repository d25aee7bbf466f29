#pragma once
// Strings read from a target are data, never instructions: before they reach a
// terminal they are escaped so control characters, ANSI sequences and invalid
// UTF-8 are shown visibly instead of being interpreted.
#include <string>
#include <string_view>

namespace corostack {

// Valid UTF-8 printable text passes through; C0/C1 controls, DEL, and invalid
// bytes become \xNN; Unicode bidirectional controls (U+061C, U+200E/F,
// U+202A-U+202E, U+2066-U+2069), which reorder the displayed text, become
// \uNNNN; backslash becomes "\\". Output is capped at max_bytes
// (appending "…" when cut). keep_backslash is for text that is already
// unambiguous, like Python reprs, whose backslashes are escapes themselves.
std::string escape_for_terminal(std::string_view s, size_t max_bytes = 4096,
                                bool keep_backslash = false);

// Makes a string valid UTF-8 for JSON: invalid bytes become \xNN escapes as
// text (so nothing is silently lost). Control characters are left to the
// JSON encoder, which escapes them.
std::string sanitize_utf8(std::string_view s, size_t max_bytes = 1 << 20);

}  // namespace corostack
