#pragma once
// A profile as folded stacks ("root;...;leaf" -> samples), the form
// Brendan Gregg's flamegraph.pl reads. Used by the tests to check
// proportions; the writers in render/ produce the files.
#include <cstdint>
#include <map>
#include <string>

#include "sample/profile.hpp"

namespace corostack::sample {

// A frame's label: Python "name (file:line)" (without ":line" when the line
// is 0), native "name" (module basename appended in brackets when known),
// others their name. Semicolons and newlines are replaced so a label never
// splits a line.
std::string folded_frame_label(const ProfileFrame& frame);

std::map<std::string, uint64_t> folded_counts(const Profile& profile);

}  // namespace corostack::sample
