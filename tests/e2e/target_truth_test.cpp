// The test targets themselves, checked with gdb alone: the truth they write
// must hold before it is used to judge corostack. These pass without corostack.
#include <gtest/gtest.h>

#include "function_names.hpp"
#include "gdb.hpp"
#include "native_target.hpp"
#include "paths.hpp"

namespace e2e {
namespace {

// Every truth thread appears in gdb's backtraces of core with its chain.
void expect_gdb_agrees(const Truth& truth, const std::filesystem::path& core) {
  CommandResult bt = gdb_backtraces(truth.exe, core);
  ASSERT_TRUE(bt.ok()) << bt.describe();
  std::vector<GdbThread> threads = parse_gdb_backtraces(bt.out);
  ASSERT_EQ(threads.size(), truth.threads.size()) << "gdb output:\n" << bt.out;
  for (const TruthThread& t : truth.threads) {
    auto g = std::find_if(threads.begin(), threads.end(),
                          [&](const GdbThread& gt) { return gt.tid == t.tid; });
    if (g == threads.end()) {
      ADD_FAILURE() << "gdb does not show thread " << t.tid;
      continue;
    }
    EXPECT_TRUE(contains_chain(all_functions(*g), t.chain)) << "thread " << t.tid << " " << t.name;
  }
}

class TargetTruthTest : public testing::TestWithParam<NativeBuild> {};

TEST_P(TargetTruthTest, GdbCoreAgreesWithTruth) {
  TempDir dir;
  std::unique_ptr<TargetProcess> target;
  Truth truth;
  ASSERT_TRUE(start_blocked(GetParam().exe, native_threads_args(), dir, &target, &truth));
  EXPECT_EQ(truth.threads.size(), 9u);  // main, 6 named, 2 deep
  std::filesystem::path core = dir / "target.core";
  CommandResult gcore = gdb_gcore(target->pid(), core);
  ASSERT_TRUE(gcore.ok()) << gcore.describe();
  expect_gdb_agrees(truth, core);
}

TEST_P(TargetTruthTest, KernelCoreAgreesWithTruth) {
  if (std::string why = kernel_core_unavailable(); !why.empty()) GTEST_SKIP() << why;
  TempDir dir;
  Truth truth;
  std::filesystem::path core;
  ASSERT_TRUE(make_kernel_core(GetParam().exe, dir, &truth, &core));
  expect_gdb_agrees(truth, core);
}

INSTANTIATE_TEST_SUITE_P(NativeThreads, TargetTruthTest, testing::ValuesIn(native_builds()),
                         [](const testing::TestParamInfo<NativeBuild>& info) {
                           return info.param.name;
                         });

TEST(ManyThreadsTarget, GdbCoreAgreesWithTruth) {
  TempDir dir;
  std::unique_ptr<TargetProcess> target;
  Truth truth;
  ASSERT_TRUE(start_blocked(paths::kManyThreads, {}, dir, &target, &truth));
  EXPECT_EQ(truth.threads.size(), 101u);
  std::filesystem::path core = dir / "target.core";
  CommandResult gcore = gdb_gcore(target->pid(), core);
  ASSERT_TRUE(gcore.ok()) << gcore.describe();
  expect_gdb_agrees(truth, core);
}

}  // namespace
}  // namespace e2e
