#pragma once
// Profile writers: a recorded sample::Profile in the formats other tools read
// (folded stacks, our own interactive flamegraph SVG, speedscope JSON, gzipped
// pprof, Chrome trace JSON). Every string in a Profile came from the target;
// each writer escapes it for its format (docs/architecture.md, render layer).
#include <optional>
#include <ostream>
#include <string_view>

#include "base/result.hpp"
#include "sample/profile.hpp"

namespace corostack {

enum class ProfileFormat { kFlamegraph, kFolded, kSpeedscope, kPprof, kChromeTrace };

// "flamegraph", "folded", "speedscope", "pprof", "chrometrace".
std::optional<ProfileFormat> parse_profile_format(std::string_view name);
// "svg", "txt", "json", "pb.gz", "json".
const char* profile_format_extension(ProfileFormat format);
// Writes the whole profile; false + message in `error` on failure (an index
// out of range in the profile, or the stream failing). pprof is gzip bytes.
bool write_profile(const sample::Profile& profile, ProfileFormat format, std::ostream& out,
                   std::string& error);

}  // namespace corostack
