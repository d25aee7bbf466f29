#pragma once
// Shared by the profile writers (profile_*.cpp): profile validation, merged
// stack counts, frame labels, and the escaping every writer applies to target
// strings. Internal to render/; the public entry point is profile_writers.hpp.
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "sample/profile.hpp"

namespace corostack::profile_out {

// Target strings longer than this are cut (on a character boundary, "…"
// appended) in every format: a 1 MB function name must not make a 1 MB label
// per sample.
inline constexpr size_t kMaxNameBytes = 2048;
// A label is a name and a file, each cut to kMaxNameBytes first.
inline constexpr size_t kMaxLabelBytes = 3 * kMaxNameBytes;

// Valid UTF-8 of at most about max_bytes: invalid sequences become U+FFFD.
// With replace_controls, C0/C1 controls, DEL and the non-characters
// U+FFFE/U+FFFF become U+FFFD too (what XML 1.0 and terminals need).
std::string clean_utf8(std::string_view s, bool replace_controls, size_t max_bytes = kMaxNameBytes);

// Appends a JSON string literal (quotes included) of clean_utf8(s): `"`, `\`
// and control characters escaped, `<`, `>` and `&` as \u escapes too, so the
// text can never close an enclosing <script> or CDATA section.
void append_json_string(std::string& out, std::string_view s, size_t max_bytes = kMaxNameBytes);

// Appends clean_utf8(s, true) with & < > " ' as character references: safe in
// XML text and in attribute values.
void append_xml_text(std::string& out, std::string_view s, size_t max_bytes = kMaxNameBytes);

// A frame as py-spy labels it (raw target bytes, not escaped; name and file
// each cut to kMaxNameBytes): Python
// "function (file:line)", native "function" (+ " (file:line)" when known),
// others their name.
std::string frame_label(const sample::ProfileFrame& frame);
// Label of a sample with no frames at all.
inline constexpr std::string_view kEmptyStackLabel = "[no frames]";

std::string_view basename_of(std::string_view path);

// Checks that every index in the profile is in range; false + message if not.
bool check_profile(const sample::Profile& profile, std::string& error);

// Samples per interned stack (index = Profile::stacks index).
std::vector<uint64_t> stack_counts(const sample::Profile& profile);

// Appends the decimal digits of v.
inline void append_uint(std::string& out, uint64_t v) {
  char digits[24];
  char* end = digits + sizeof digits;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out.append(p, static_cast<size_t>(end - p));
}

// Per-sample weight in nanoseconds (the sampling interval; 1 if unknown).
uint64_t sample_weight_ns(const sample::Profile& profile);

// An output buffer flushed to the stream in large chunks.
class ChunkedWriter {
 public:
  explicit ChunkedWriter(std::ostream& out) : out_(out) { buf_.reserve(kChunk + 4096); }
  std::string& buf() { return buf_; }
  // Call after appending a bounded amount of text.
  void maybe_flush() {
    if (buf_.size() >= kChunk) flush();
  }
  void flush() {
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
  }
  // Flushes the rest; false + message when the stream failed.
  bool finish(std::string& error);

 private:
  static constexpr size_t kChunk = 1 << 20;
  std::ostream& out_;
  std::string buf_;
};

// The per-format writers behind write_profile (profile already checked).
bool write_folded(const sample::Profile& profile, std::ostream& out, std::string& error);
bool write_flamegraph(const sample::Profile& profile, std::ostream& out, std::string& error);
bool write_speedscope(const sample::Profile& profile, std::ostream& out, std::string& error);
bool write_pprof(const sample::Profile& profile, std::ostream& out, std::string& error);
bool write_chrometrace(const sample::Profile& profile, std::ostream& out, std::string& error);

}  // namespace corostack::profile_out
