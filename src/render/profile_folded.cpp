// Brendan Gregg's folded stacks: one line per distinct stack, frames root
// first joined by ';', a space, the sample count. Frame names are made valid
// UTF-8 without controls (so no newline), and ';' becomes ':', so every line
// parses back with flamegraph.pl's `^(.*)\s+?(\d+)$`.
#include <fmt/format.h>

#include "render/profile_aggregate.hpp"

namespace corostack::profile_out {
namespace {

std::string folded_name(std::string_view raw) {
  std::string name = clean_utf8(raw, true, kMaxLabelBytes);
  for (char& c : name)
    if (c == ';') c = ':';
  return name;
}

}  // namespace

bool write_folded(const sample::Profile& profile, std::ostream& out, std::string& error) {
  std::vector<uint64_t> counts = stack_counts(profile);
  // Each frame's folded name is made once, only for frames that are used.
  std::vector<std::string> names(profile.frames.size());
  std::vector<bool> named(profile.frames.size(), false);
  ChunkedWriter w(out);
  std::string& buf = w.buf();
  for (size_t s = 0; s < profile.stacks.size(); ++s) {
    if (counts[s] == 0) continue;
    const std::vector<uint32_t>& stack = profile.stacks[s];
    if (stack.empty()) buf += kEmptyStackLabel;
    for (size_t i = 0; i < stack.size(); ++i) {
      uint32_t f = stack[i];
      if (!named[f]) {
        names[f] = folded_name(frame_label(profile.frames[f]));
        named[f] = true;
      }
      if (i > 0) buf += ';';
      buf += names[f];
    }
    buf += ' ';
    append_uint(buf, counts[s]);
    buf += '\n';
    w.maybe_flush();
  }
  return w.finish(error);
}

}  // namespace corostack::profile_out
