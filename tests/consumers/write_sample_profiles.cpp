// Writes the test profiles (sample_profiles.hpp) in every format into a
// directory, for the consumer checks (go tool pprof, ajv + speedscope's
// schema, xmllint), plus expected.json: what each consumer must find.
//   write_sample_profiles DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "render/profile_writers.hpp"
#include "sample_profiles.hpp"

using corostack::ProfileFormat;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 64;
  }
  std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  struct Named {
    std::string name;
    corostack::sample::Profile profile;
  };
  std::vector<Named> profiles;
  profiles.push_back({"hostile", corostack::test_profiles::make_hostile_profile()});
  profiles.push_back({"large", corostack::test_profiles::make_large_profile(50'000, 2'000)});

  nlohmann::json expected;
  for (const Named& n : profiles) {
    for (auto [format, suffix] : {std::pair{ProfileFormat::kFlamegraph, "svg"},
                                  {ProfileFormat::kFolded, "folded.txt"},
                                  {ProfileFormat::kSpeedscope, "speedscope.json"},
                                  {ProfileFormat::kPprof, "pb.gz"},
                                  {ProfileFormat::kChromeTrace, "trace.json"}}) {
      // Nothing reads the large Chrome trace here (random stacks: ~100 MB).
      if (n.name == "large" && format == ProfileFormat::kChromeTrace) continue;
      std::filesystem::path path = dir / (n.name + "." + suffix);
      std::ofstream out(path, std::ios::binary);
      std::string error;
      if (!corostack::write_profile(n.profile, format, out, error)) {
        std::fprintf(stderr, "%s: %s\n", path.c_str(), error.c_str());
        return 1;
      }
    }
    // Plain names (no hostile bytes) that every consumer must show as is.
    nlohmann::json names = nlohmann::json::array();
    for (const auto& f : n.profile.frames) {
      bool plain = f.name.size() < 100;
      for (char c : f.name) plain = plain && c >= 0x21 && c < 0x7F && c != '"' && c != '\\';
      if (plain && !f.name.empty()) names.push_back(f.name);
    }
    nlohmann::json threads = nlohmann::json::array();
    for (const auto& t : n.profile.threads) threads.push_back(t.tid);
    expected[n.name] = {{"samples", n.profile.samples.size()},
                        {"nanoseconds", n.profile.samples.size() * n.profile.interval_ns()},
                        {"wall_time", n.profile.wall_time},
                        {"function_names", names},
                        {"thread_ids", threads}};
  }
  std::ofstream(dir / "expected.json") << expected.dump(2) << "\n";
  std::printf("wrote %zu profiles in 5 formats to %s\n", profiles.size(), dir.c_str());
  return 0;
}
