// `corostack dump` on the coroutine target: the thread running blocking_leaf
// shows, right after blocking_leaf's resume/actor frame, the suspended
// coroutine awaiting it (blocking_top) as an [async] frame with the frame
// address the target wrote, for every compiler and level; live and on a core.
// Also `coro --continuation` with a member no promise has: no chains.
#include <gtest/gtest.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "coro_truth.hpp"
#include "corostack.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

using nlohmann::json;

std::string hex(uint64_t v) {
  std::ostringstream os;
  os << "0x" << std::hex << v;
  return os.str();
}

bool contains(const json& v, const std::string& needle) {
  return v.is_string() && v.get<std::string>().find(needle) != std::string::npos;
}

// The dump's frames for `tid`: blocking_leaf's clone, then blocking_top,
// either spliced as an async frame or (GCC -O0, where resuming a child is a
// real call) physically on the stack as its own clone.
void check_splice(const CoroTruth& truth, const JsonRun& run) {
  ASSERT_FALSE(run.json.is_discarded()) << run.parse_error << run.cmd.describe();
  const CoroFrameTruth* leaf = nullptr;
  const CoroFrameTruth* top = nullptr;
  for (const CoroFrameTruth& f : truth.frames) {
    if (f.function == "blocking_leaf") leaf = &f;
    if (f.function == "blocking_top") top = &f;
  }
  ASSERT_TRUE(leaf && top);
  const json* thread = find_thread(run.json, leaf->tid);
  ASSERT_NE(thread, nullptr) << "no thread " << leaf->tid;
  const json& frames = thread->at("frames");
  size_t at = frames.size();
  for (size_t i = 0; i < frames.size(); ++i) {
    if (frames[i].at("kind") == "native" && contains(frames[i].at("function"), "blocking_leaf") &&
        contains(frames[i].at("function"), "[clone")) {
      at = i;
      break;
    }
  }
  ASSERT_LT(at + 1, frames.size()) << "no blocking_leaf clone frame:\n" << frames.dump(1);
  const json& next = frames[at + 1];
  if (next.at("kind") == "async") {
    EXPECT_TRUE(contains(next.at("function"), "blocking_top(")) << next.dump();
    EXPECT_EQ(next.at("frame"), hex(top->addr));
    if (!next.at("line").is_null()) {
      EXPECT_GT(next.at("line").get<int>(), 0);
    }
  } else {
    // Physically there: no async frame may duplicate it.
    bool physical = false;
    for (size_t i = at + 1; i < frames.size(); ++i) {
      EXPECT_NE(frames[i].at("kind"), "async") << frames[i].dump();
      physical = physical || contains(frames[i].at("function"), "blocking_top");
    }
    EXPECT_TRUE(physical) << "blocking_top neither spliced nor on the stack:\n" << frames.dump(1);
  }
  // Nothing async on the other threads: nothing runs a coroutine there.
  for (const json& t : run.json.at("threads")) {
    if (t.at("tid") == leaf->tid) continue;
    for (const json& f : t.at("frames")) EXPECT_NE(f.at("kind"), "async") << f.dump();
  }
}

class CoroDumpTest : public testing::TestWithParam<CoroBuild> {};

TEST_P(CoroDumpTest, RunningCoroutineGetsItsAwaiterAsAsyncFrame) {
  const CoroBuild& build = GetParam();
  if (!build.exists)
    GTEST_SKIP() << "SKIPPED LOUDLY: coro build " << build.name << " not built (" << build.exe
                 << " missing: its compiler was not found at configure time)";
  std::cout << "[ coro dump] covering build " << build.name << "\n";
  TempDir dir;
  std::unique_ptr<TargetProcess> target;
  CoroTruth truth;
  ASSERT_TRUE(start_coro_target(build, dir, &target, &truth));
  std::string pid = std::to_string(target->pid());
  {
    SCOPED_TRACE("live");
    check_splice(truth, run_corostack_json({"dump", "-p", pid, "--json"}));
  }
  CommandResult text = run_corostack({"dump", "-p", pid});
  bool physical = build.name == "gcc_O0";  // blocking_top's actor is on the stack itself
  EXPECT_EQ(text.out.find("[async]") != std::string::npos, !physical) << text.out;

  std::string core = (dir / "coro.core").string();
  CommandResult gcore = run_corostack({"gcore", "-p", pid, "-o", core});
  ASSERT_TRUE(gcore.ok()) << gcore.describe();
  {
    SCOPED_TRACE("core");
    check_splice(truth, run_corostack_json({"dump", "--core", core, "--json"}));
  }

  // --native --locals: the async frame shows what blocking_top keeps, its
  // argument among it (named `id` at -O0; clang 17-19 -O2 have no frame type).
  if (!physical && !(build.compiler == "clang19" && build.optimized)) {
    JsonRun locals = run_corostack_json({"dump", "-p", pid, "--native", "--locals", "--json"});
    ASSERT_FALSE(locals.json.is_discarded()) << locals.parse_error << locals.cmd.describe();
    bool found = false;
    for (const json& t : locals.json.at("threads"))
      for (const json& f : t.at("frames")) {
        if (f.at("kind") != "async" || !contains(f.at("function"), "blocking_top(")) continue;
        ASSERT_TRUE(f.contains("locals")) << f.dump();
        for (const json& l : f.at("locals"))
          found =
              found || ((!build.optimized ? l.at("name") == "id" : true) && l.at("repr") == "110");
      }
    EXPECT_TRUE(found) << "blocking_top's argument 110 not among its async frame's locals";
  }

  // A continuation member no promise has: every frame is its own chain.
  JsonRun none = run_corostack_json({"coro", "-p", pid, "--json", "--continuation", "no_such"});
  ASSERT_FALSE(none.json.is_discarded()) << none.parse_error << none.cmd.describe();
  EXPECT_EQ(none.json.at("chains").size(), truth.frames.size());
  for (const json& f : none.json.at("frames")) EXPECT_EQ(f.at("continuation_kind"), "none");
  // Names tried in order: an unknown one first, then the real one.
  JsonRun both =
      run_corostack_json({"coro", "-p", pid, "--json", "--continuation", "no_such,continuation"});
  ASSERT_FALSE(both.json.is_discarded()) << both.parse_error << both.cmd.describe();
  EXPECT_EQ(both.json.at("chains").size(), truth.chains.size());
}

INSTANTIATE_TEST_SUITE_P(CoroChain, CoroDumpTest, testing::ValuesIn(coro_builds()),
                         [](const testing::TestParamInfo<CoroBuild>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace e2e
