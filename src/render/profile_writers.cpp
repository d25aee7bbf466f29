#include "render/profile_writers.hpp"

#include "render/profile_aggregate.hpp"

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
  if (!profile_out::check_profile(profile, error)) return false;
  switch (format) {
    case ProfileFormat::kFlamegraph:
      return profile_out::write_flamegraph(profile, out, error);
    case ProfileFormat::kFolded:
      return profile_out::write_folded(profile, out, error);
    case ProfileFormat::kSpeedscope:
      return profile_out::write_speedscope(profile, out, error);
    case ProfileFormat::kPprof:
      return profile_out::write_pprof(profile, out, error);
    case ProfileFormat::kChromeTrace:
      return profile_out::write_chrometrace(profile, out, error);
  }
  error = "unknown profile format";
  return false;
}

}  // namespace corostack
