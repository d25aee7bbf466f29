#include "sample/folded_lines.hpp"

#include <algorithm>

namespace corostack::sample {

std::string folded_frame_label(const ProfileFrame& frame) {
  std::string s = frame.name;
  if (frame.kind == ProfileFrameKind::kPython) {
    s += " (" + frame.file;
    if (frame.line > 0) s += ":" + std::to_string(frame.line);
    s += ")";
  } else if (frame.kind == ProfileFrameKind::kNative && !frame.module.empty()) {
    size_t slash = frame.module.rfind('/');
    s += " [" + frame.module.substr(slash == std::string::npos ? 0 : slash + 1) + "]";
  }
  std::replace_if(
      s.begin(), s.end(), [](char c) { return c == ';' || c == '\n' || c == '\r'; }, ':');
  return s;
}

std::map<std::string, uint64_t> folded_counts(const Profile& profile) {
  std::vector<std::string> labels;
  labels.reserve(profile.frames.size());
  for (const ProfileFrame& f : profile.frames) labels.push_back(folded_frame_label(f));
  std::vector<uint64_t> per_stack(profile.stacks.size(), 0);
  for (const Sample& s : profile.samples)
    if (s.stack < per_stack.size()) ++per_stack[s.stack];
  std::map<std::string, uint64_t> out;
  for (size_t i = 0; i < profile.stacks.size(); ++i) {
    if (per_stack[i] == 0) continue;
    std::string line;
    for (uint32_t f : profile.stacks[i]) {
      if (!line.empty()) line += ';';
      line += f < labels.size() ? labels[f] : "?";
    }
    out[line] += per_stack[i];
  }
  return out;
}

}  // namespace corostack::sample
