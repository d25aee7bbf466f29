// The cache of inflated debug files, end to end (native/debug_cache.hpp):
// `dump --native` of a real target with a fresh $XDG_CACHE_HOME writes
// glibc's inflated debug file under its build-id (Debian's libc6-dbg holds
// it compressed), a second dump reads it and prints the same frames, and
// COROSTACK_DEBUG_CACHE_MIB=0 turns the cache off (no directory, same frames);
// `dump --core` of the same process fills and uses it the same way.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "corostack.hpp"
#include "native_target.hpp"
#include "paths.hpp"
#include "run_command.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"
#include "truth.hpp"

namespace e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Each thread's frames (function names), from `dump --native --json` with
// this environment; `source` is {"-p", PID} or {"--core", FILE}.
std::vector<std::vector<std::string>> frames_with_env(const std::vector<std::string>& env,
                                                      const std::vector<std::string>& source,
                                                      CommandResult* result) {
  std::vector<std::string> argv{"env"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.insert(argv.end(), {std::string(paths::kCorostack), "dump"});
  argv.insert(argv.end(), source.begin(), source.end());
  argv.insert(argv.end(), {"--native", "--json"});
  *result = run_command(argv);
  std::vector<std::vector<std::string>> out;
  json j = json::parse(result->out, nullptr, false);
  if (j.is_discarded() || !j.contains("threads")) return out;
  for (const json& t : j.at("threads")) out.push_back(frame_functions(t));
  return out;
}

size_t cached_files(const fs::path& dir) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".debug") ++n;
  return n;
}

TEST(DebugCache, FilledByOneDumpUsedByTheNextSameFrames) {
  if (!fs::exists("/usr/lib/debug/.build-id"))
    GTEST_SKIP() << "SKIPPED LOUDLY: no /usr/lib/debug/.build-id (libc6-dbg not installed): "
                    "nothing compressed to cache";
  TempDir dir;
  std::unique_ptr<TargetProcess> target;
  Truth truth;
  ASSERT_TRUE(start_blocked(paths::kNativeThreadsO2, native_threads_args(), dir, &target, &truth));
  std::vector<std::string> live{"-p", std::to_string(target->pid())};
  fs::path cache_home = dir / "cache";
  fs::path cache = cache_home / "corostack" / "debug";
  std::string xdg = "XDG_CACHE_HOME=" + cache_home.string();

  CommandResult first;
  auto cold = frames_with_env({xdg}, live, &first);
  ASSERT_FALSE(cold.empty()) << first.describe();
  ASSERT_GE(cached_files(cache), 1u) << "no inflated debug file in " << cache;

  CommandResult second;
  auto warm = frames_with_env({xdg}, live, &second);
  EXPECT_EQ(warm, cold) << "frames differ once the cache is used\n" << second.describe();

  fs::path off_home = dir / "off";
  CommandResult off;
  auto uncached = frames_with_env(
      {"XDG_CACHE_HOME=" + off_home.string(), "COROSTACK_DEBUG_CACHE_MIB=0"}, live, &off);
  EXPECT_EQ(uncached, cold);
  EXPECT_FALSE(fs::exists(off_home / "corostack")) << "the cache was written while off";

  // A core is read through the same session: filled by one dump, used by the next.
  fs::path core = dir / "core";
  CommandResult gcore = run_command({std::string(paths::kCorostack), "gcore", "-p",
                                     std::to_string(target->pid()), "-o", core.string()});
  ASSERT_TRUE(gcore.ok()) << gcore.describe();
  fs::path core_home = dir / "core-cache";
  std::string core_xdg = "XDG_CACHE_HOME=" + core_home.string();
  std::vector<std::string> from_core{"--core", core.string()};
  CommandResult c1, c2;
  auto core_cold = frames_with_env({core_xdg}, from_core, &c1);
  ASSERT_FALSE(core_cold.empty()) << c1.describe();
  EXPECT_GE(cached_files(core_home / "corostack" / "debug"), 1u) << "the core run cached nothing";
  EXPECT_EQ(frames_with_env({core_xdg}, from_core, &c2), core_cold) << c2.describe();
  ASSERT_TRUE(target->wait_all_sleeping(std::chrono::seconds(10)));
}

}  // namespace
}  // namespace e2e
