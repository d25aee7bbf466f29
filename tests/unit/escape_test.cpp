#include "base/escape.hpp"

#include <gtest/gtest.h>

namespace corostack {
namespace {

TEST(EscapeForTerminal, PassesPrintableUtf8) {
  EXPECT_EQ(escape_for_terminal("héllo wörld ✓"), "héllo wörld ✓");
}

TEST(EscapeForTerminal, EscapesAnsiAndControls) {
  EXPECT_EQ(escape_for_terminal("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");
  EXPECT_EQ(escape_for_terminal("a\nb\tc\x7f"), "a\\x0ab\\x09c\\x7f");
  EXPECT_EQ(escape_for_terminal("back\\slash"), "back\\\\slash");
}

TEST(EscapeForTerminal, EscapesInvalidUtf8AndC1) {
  EXPECT_EQ(escape_for_terminal("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(escape_for_terminal("\xc2\x9b"
                                "31m"),
            "\\xc2\\x9b31m");                                         // C1 CSI
  EXPECT_EQ(escape_for_terminal("\xc0\x80"), "\\xc0\\x80");           // overlong NUL
  EXPECT_EQ(escape_for_terminal("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
}

TEST(EscapeForTerminal, EscapesBidiControls) {
  // RLO would show "exe.txt" for "txt.exe"; each bidi control is shown by name.
  EXPECT_EQ(escape_for_terminal("a\u202etxt.exe"), "a\\u202etxt.exe");
  EXPECT_EQ(escape_for_terminal("\u200e\u200f\u202a\u2066\u2069\u061c"),
            "\\u200e\\u200f\\u202a\\u2066\\u2069\\u061c");
  // Neighbours pass: U+2010 (hyphen), U+2065 (unassigned but not bidi), U+061B.
  EXPECT_EQ(escape_for_terminal("\u2010\u2065\u061b\u202f"), "\u2010\u2065\u061b\u202f");
}

TEST(EscapeForTerminal, CapsLength) {
  std::string big(1 << 20, 'a');
  auto out = escape_for_terminal(big, 100);
  EXPECT_LE(out.size(), 100u + 3);
  EXPECT_TRUE(out.ends_with("…"));
}

TEST(EscapeForTerminal, KeepBackslashStillEscapesControls) {
  // Python reprs are already escaped: b'\x00' must not become b'\\x00'.
  EXPECT_EQ(escape_for_terminal("b'\\x00'", 4096, true), "b'\\x00'");
  EXPECT_EQ(escape_for_terminal("a\x1b[31m\\", 4096, true), "a\\x1b[31m\\");
}

TEST(SanitizeUtf8, KeepsValidAndEscapesInvalid) {
  EXPECT_EQ(sanitize_utf8("ok ✓"), "ok ✓");
  EXPECT_EQ(sanitize_utf8("a\xff"
                          "b"),
            "a\\xffb");
  EXPECT_EQ(sanitize_utf8("\x1b[31m"), "\x1b[31m");  // JSON encoder escapes controls
}

}  // namespace
}  // namespace corostack
