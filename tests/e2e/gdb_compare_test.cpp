// End-to-end: on the same gdb core of native_threads, corostack names the
// same function as gdb in every physical frame of every thread.
#include <gtest/gtest.h>

#include "corostack.hpp"
#include "function_names.hpp"
#include "gdb.hpp"
#include "native_target.hpp"

namespace e2e {
namespace {

// Names as compared: arguments stripped (already), glibc aliases folded.
std::vector<std::string> normalized(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& n : names) out.push_back(normalize_alias(n));
  return out;
}

// Equal frame by frame; "??" (no symbol) on either side matches anything,
// since the two may know different symbol tables for the same module.
bool same_frames(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i] && a[i] != "??" && b[i] != "??") return false;
  return true;
}

class GdbCompareTest : public testing::TestWithParam<NativeBuild> {};

TEST_P(GdbCompareTest, SameFunctionsAsGdbOnGdbCore) {
  TempDir dir;
  std::unique_ptr<TargetProcess> target;
  Truth truth;
  ASSERT_TRUE(start_blocked(GetParam().exe, native_threads_args(), dir, &target, &truth));
  std::filesystem::path core = dir / "target.core";
  CommandResult gcore = gdb_gcore(target->pid(), core);
  ASSERT_TRUE(gcore.ok()) << gcore.describe();

  CommandResult bt = gdb_backtraces(truth.exe, core);
  ASSERT_TRUE(bt.ok()) << bt.describe();
  std::vector<GdbThread> gdb_threads = parse_gdb_backtraces(bt.out);
  ASSERT_EQ(gdb_threads.size(), truth.threads.size()) << "gdb output:\n" << bt.out;

  JsonRun run = run_corostack_json({"dump", "--core", core.string(), "--json"});
  ASSERT_EQ(run.cmd.exit_code, 0) << run.cmd.describe();
  ASSERT_FALSE(run.json.is_discarded()) << run.parse_error;

  for (const GdbThread& g : gdb_threads) {
    const nlohmann::json* thread = find_thread(run.json, g.tid);
    if (!thread) {
      ADD_FAILURE() << "gdb shows thread " << g.tid << ", corostack does not";
      continue;
    }
    std::vector<std::string> ours = normalized(frame_functions(*thread, /*physical_only=*/true));
    std::vector<std::string> theirs = normalized(physical_functions(g));
    EXPECT_TRUE(same_frames(ours, theirs)) << "thread " << g.tid << "\n corostack: [" << join(ours)
                                           << "]\n gdb:       [" << join(theirs) << "]";
  }
}

INSTANTIATE_TEST_SUITE_P(NativeThreads, GdbCompareTest, testing::ValuesIn(native_builds()),
                         [](const testing::TestParamInfo<NativeBuild>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace e2e
