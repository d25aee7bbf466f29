#include "render/profile_aggregate.hpp"

#include "base/utf8.hpp"

#include <fmt/format.h>

#include <cstdint>

#include "base/paths.hpp"

namespace corostack::profile_out {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";     // U+2026

bool is_control(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF;
}

}  // namespace

std::string clean_utf8(std::string_view s, bool replace_controls, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(s.size(), max_bytes) + 8);
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = 0;
    size_t len = decode_utf8(s, i, cp);
    std::string_view piece =
        (len == 0 || (replace_controls && is_control(cp))) ? kReplacement : s.substr(i, len);
    if (out.size() + piece.size() > max_bytes) {
      out += kEllipsis;
      break;
    }
    out += piece;
    i += len == 0 ? 1 : len;
  }
  return out;
}

void append_json_string(std::string& out, std::string_view s, size_t max_bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string clean = clean_utf8(s, false, max_bytes);
  out += '"';
  for (char ch : clean) {
    auto c = static_cast<uint8_t>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7F || c == '<' || c == '>' || c == '&') {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void append_xml_text(std::string& out, std::string_view s, size_t max_bytes) {
  std::string clean = clean_utf8(s, true, max_bytes);
  for (char ch : clean) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
}

namespace {
// The first max bytes of s, "…" appended when cut (a split UTF-8 sequence
// becomes U+FFFD when the label is cleaned).
std::string capped(std::string_view s, size_t max = kMaxNameBytes) {
  if (s.size() <= max) return std::string(s);
  std::string out(s.substr(0, max));
  out += kEllipsis;
  return out;
}
}  // namespace

std::string frame_label(const sample::ProfileFrame& frame) {
  using sample::ProfileFrameKind;
  std::string label = capped(frame.name);
  switch (frame.kind) {
    case ProfileFrameKind::kPython:
      if (label.empty()) label = "<unknown>";
      if (!frame.file.empty()) {
        label += " (";
        label += capped(frame.file);
        if (frame.line > 0) label += fmt::format(":{}", frame.line);
        label += ')';
      }
      break;
    case ProfileFrameKind::kNative:
      if (label.empty())
        label = frame.module.empty() ? "[unknown]"
                                     : fmt::format("[{}]", capped(path_basename(frame.module)));
      if (!frame.file.empty()) {
        label += " (";
        label += capped(path_basename(frame.file));
        if (frame.line > 0) label += fmt::format(":{}", frame.line);
        label += ')';
      }
      break;
    default:
      if (label.empty()) label = fmt::format("[{}]", sample::frame_kind_name(frame.kind));
      break;
  }
  return label;
}

bool check_profile(const sample::Profile& profile, std::string& error) {
  const size_t nframes = profile.frames.size();
  for (size_t s = 0; s < profile.stacks.size(); ++s) {
    for (uint32_t f : profile.stacks[s]) {
      if (f >= nframes) {
        error = fmt::format("profile: stack {} refers to frame {} of {}", s, f, nframes);
        return false;
      }
    }
  }
  for (size_t i = 0; i < profile.samples.size(); ++i) {
    const sample::Sample& s = profile.samples[i];
    if (s.stack >= profile.stacks.size() || s.thread >= profile.threads.size() ||
        (s.task >= 0 && static_cast<size_t>(s.task) >= profile.tasks.size())) {
      error = fmt::format("profile: sample {} refers to a stack, thread or task out of range", i);
      return false;
    }
  }
  return true;
}

std::vector<uint64_t> stack_counts(const sample::Profile& profile) {
  std::vector<uint64_t> counts(profile.stacks.size(), 0);
  for (const sample::Sample& s : profile.samples) ++counts[s.stack];
  return counts;
}

uint64_t sample_weight_ns(const sample::Profile& profile) {
  uint64_t w = profile.interval_ns();
  return w > 0 ? w : 1;
}

bool ChunkedWriter::finish(std::string& error) {
  flush();
  out_.flush();
  if (!out_) {
    error = "could not write the profile (output stream failed)";
    return false;
  }
  return true;
}

}  // namespace corostack::profile_out
