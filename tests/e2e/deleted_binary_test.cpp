// A service whose executable was deleted or replaced while it runs (a package
// upgrade) still gets named frames: corostack opens the file actually mapped,
// not whatever now sits at its path.
#include <gtest/gtest.h>

#include <filesystem>

#include "corostack.hpp"
#include "function_names.hpp"
#include "native_target.hpp"
#include "paths.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"
#include "truth.hpp"

namespace e2e {
namespace {

TEST(DeletedBinary, LiveDumpStillNamesFrames) {
  TempDir dir;
  std::filesystem::path copy = dir / "upgraded_service";
  std::filesystem::copy_file(paths::kNativeThreadsO0, copy);
  std::unique_ptr<TargetProcess> target;
  Truth truth;
  ASSERT_TRUE(start_blocked(copy.string(), native_threads_args(), dir, &target, &truth));
  // Delete it, then put a different binary at the same path: the new file
  // must not be used for the old process's frames.
  std::filesystem::remove(copy);
  std::filesystem::copy_file(paths::kNativeThreadsO2, copy);

  JsonRun run = run_corostack_json({"dump", "-p", std::to_string(target->pid()), "--json"});
  ASSERT_EQ(run.cmd.exit_code, 0) << run.cmd.describe();
  ASSERT_FALSE(run.json.is_discarded()) << run.parse_error;
  for (const TruthThread& t : truth.threads) {
    const nlohmann::json* thread = find_thread(run.json, t.tid);
    ASSERT_NE(thread, nullptr) << "thread " << t.tid;
    EXPECT_TRUE(contains_chain(frame_functions(*thread), t.chain))
        << "thread " << t.tid << " " << t.name << ": " << join(frame_functions(*thread));
  }
}

}  // namespace
}  // namespace e2e

namespace e2e {
namespace {

TEST(DeletedBinary, CoreWarnsWhenTheExecutableChangedSince) {
  TempDir dir;
  std::filesystem::path exe = dir / "service";
  std::filesystem::copy_file(paths::kNativeThreadsO0, exe);
  std::string core = (dir / "service.core").string();
  {
    std::unique_ptr<TargetProcess> target;
    Truth truth;
    ASSERT_TRUE(start_blocked(exe.string(), native_threads_args(), dir, &target, &truth));
    CommandResult g = run_corostack({"gcore", "-p", std::to_string(target->pid()), "-o", core});
    ASSERT_EQ(g.exit_code, 0) << g.describe();
  }
  // A new build lands at the same path after the crash.
  std::filesystem::remove(exe);
  std::filesystem::copy_file(paths::kNativeThreadsO2, exe);
  CommandResult r = run_corostack({"dump", "--core", core});
  EXPECT_NE(r.err.find("build-id of " + exe.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("differs"), std::string::npos) << r.err;
  // Pointing --exe at the build that really ran silences it and names frames.
  CommandResult ok = run_corostack({"dump", "--core", core, "--exe", paths::kNativeThreadsO0});
  EXPECT_EQ(ok.exit_code, 0) << ok.describe();
  EXPECT_EQ(ok.err.find("differs"), std::string::npos) << ok.err;
  EXPECT_NE(ok.out.find("reader_level1"), std::string::npos);
}

}  // namespace
}  // namespace e2e
