// TEMPORARY (sampler branch): folded only; replaced by the writers branch.
#include "render/profile_writers.hpp"

#include "sample/folded_lines.hpp"

namespace corostack {

std::optional<ProfileFormat> parse_profile_format(std::string_view name) {
  if (name == "flamegraph") return ProfileFormat::kFlamegraph;
  if (name == "folded") return ProfileFormat::kFolded;
  if (name == "speedscope") return ProfileFormat::kSpeedscope;
  if (name == "pprof") return ProfileFormat::kPprof;
  if (name == "chrometrace") return ProfileFormat::kChromeTrace;
  return std::nullopt;
}

const char* profile_format_extension(ProfileFormat format) {
  switch (format) {
    case ProfileFormat::kFlamegraph:
      return "svg";
    case ProfileFormat::kFolded:
      return "txt";
    case ProfileFormat::kSpeedscope:
      return "json";
    case ProfileFormat::kPprof:
      return "pb.gz";
    case ProfileFormat::kChromeTrace:
      return "json";
  }
  return "out";
}

bool write_profile(const sample::Profile& profile, ProfileFormat format, std::ostream& out,
                   std::string& error) {
  if (format != ProfileFormat::kFolded) {
    error = "only the folded format is available in this build";
    return false;
  }
  for (const auto& [stack, count] : sample::folded_counts(profile))
    out << stack << ' ' << count << '\n';
  out.flush();
  if (!out) {
    error = "write failed";
    return false;
  }
  return true;
}

}  // namespace corostack
