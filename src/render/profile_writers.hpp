#pragma once
// TEMPORARY (sampler branch): supports only the folded format so that
// `record` builds before the format writers are merged. The merge must take
// the writers branch's version of this file and of profile_writers.cpp.
#include <optional>
#include <ostream>
#include <string_view>

#include "base/result.hpp"
#include "sample/profile.hpp"

namespace corostack {

enum class ProfileFormat { kFlamegraph, kFolded, kSpeedscope, kPprof, kChromeTrace };

std::optional<ProfileFormat> parse_profile_format(std::string_view name);
const char* profile_format_extension(ProfileFormat format);
// Writes the whole profile; false + message in `error` on failure.
bool write_profile(const sample::Profile& profile, ProfileFormat format, std::ostream& out,
                   std::string& error);

}  // namespace corostack
