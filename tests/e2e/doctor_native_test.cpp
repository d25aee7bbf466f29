// `corostack doctor` on native lock states (tests/targets/lock_deadlock.cpp):
// pthread and std::mutex cycles of 2 and 3 threads, an rwlock in a cycle, an
// abandoned mutex, and a healthy process (idle condition waiters, one
// contended mutex) that must have no findings. -O0 and -O2, live and on a
// core written by `corostack gcore`. The truth is the target's own record of
// who waits for which lock and who holds it.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "corostack.hpp"
#include "doctor_support.hpp"
#include "paths.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

struct TruthWait {
  pid_t waiter = 0;
  std::string holder;  // tid, or "exited:TID"
  uint64_t lock = 0;
  std::string name;
  std::string function;
};

std::vector<TruthWait> read_waits(const std::filesystem::path& truth) {
  std::ifstream in(truth);
  std::vector<TruthWait> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string tag, addr;
    TruthWait w;
    if (!(f >> tag) || tag != "wait") continue;
    f >> w.waiter >> w.holder >> addr >> w.name >> w.function;
    w.lock = std::stoull(addr, nullptr, 16);
    out.push_back(w);
  }
  return out;
}

struct Case {
  std::string mode;
  std::string build;  // "gcc_O0", "clang19_O2", ...
  bool core = false;
};

std::string case_name(const testing::TestParamInfo<Case>& info) {
  return info.param.mode + "_" + info.param.build + (info.param.core ? "_core" : "_live");
}

// The binary of one build: g++ ones from the project, clang ones from
// CORO_TARGETS_DIR (tests/targets/lock_targets.cmake), when that clang exists.
std::string target_binary(const std::string& build) {
  if (build == "gcc_O0") return paths::kLockDeadlockO0;
  if (build == "gcc_O2") return paths::kLockDeadlockO2;
  return std::string(CORO_TARGETS_DIR) + "/lock_deadlock_" + build;
}

class DoctorNativeTest : public testing::TestWithParam<Case> {};

const nlohmann::json* edge_of(const nlohmann::json& finding, pid_t waiter) {
  for (const auto& e : finding["edges"])
    if (e["waiter"].get<pid_t>() == waiter) return &e;
  return nullptr;
}

TEST_P(DoctorNativeTest, FindsWhatTheTargetDid) {
  const Case& c = GetParam();
  std::string exe = target_binary(c.build);
  if (!std::filesystem::exists(exe))
    GTEST_SKIP() << "SKIPPED LOUDLY: " << exe << " was not built (no such compiler here)";
  TempDir dir;
  auto truth = dir / "truth";
  TargetProcess target({exe, "{ready_fd}", truth.string(), c.mode});
  ASSERT_TRUE(target.wait_ready());
  auto waits = read_waits(truth);

  JsonRun run;
  ASSERT_TRUE(run_doctor_json(target.pid(), c.core, dir.path(), &run));
  const auto& findings = run.json["findings"];

  if (c.mode == "healthy") {
    EXPECT_EQ(run.cmd.exit_code, 0) << run.cmd.out << run.cmd.describe();
    EXPECT_TRUE(findings.empty()) << findings.dump(2);
    bool contention_seen = false;
    for (const auto& h : run.json["healthy"])
      contention_seen |= h.get<std::string>().find("no cycle") != std::string::npos;
    EXPECT_TRUE(contention_seen) << run.json["healthy"].dump(2);
    return;
  }
  EXPECT_EQ(run.cmd.exit_code, 3) << run.cmd.describe();
  ASSERT_EQ(findings.size(), 1u) << findings.dump(2);
  const auto& f = findings[0];
  EXPECT_EQ(f["severity"], "critical");
  EXPECT_EQ(f["kind"], c.mode == "abandoned" ? "abandoned-lock" : "native-deadlock");
  EXPECT_EQ(f["edges"].size(), waits.size()) << f.dump(2);
  for (const TruthWait& w : waits) {
    SCOPED_TRACE("waiter " + std::to_string(w.waiter) + " on " + w.name);
    const nlohmann::json* e = edge_of(f, w.waiter);
    ASSERT_NE(e, nullptr) << f.dump(2);
    std::string holder = w.holder.rfind("exited:", 0) == 0 ? w.holder.substr(7) : w.holder;
    EXPECT_EQ((*e)["holder"].get<pid_t>(), std::stoi(holder));
    EXPECT_EQ(std::stoull((*e)["lock_address"].get<std::string>(), nullptr, 16), w.lock);
    EXPECT_EQ((*e)["lock_name"], w.name);
    EXPECT_EQ((*e)["waiter_frame"].get<std::string>().rfind(w.function, 0), 0u)
        << (*e)["waiter_frame"];
  }
}

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const char* mode : {"abba", "cycle3", "stdmutex", "rwlock", "abandoned", "healthy"})
    for (const char* build :
         {"gcc_O0", "gcc_O2", "clang14_O0", "clang14_O2", "clang19_O0", "clang19_O2"})
      for (bool core : {false, true}) out.push_back({mode, build, core});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Modes, DoctorNativeTest, testing::ValuesIn(cases()), case_name);

// The text report names the cycle the way people read it.
TEST(DoctorNativeText, DeadlockReport) {
  TempDir dir;
  auto truth = dir / "truth";
  TargetProcess target({paths::kLockDeadlockO2, "{ready_fd}", truth.string(), "abba"});
  ASSERT_TRUE(target.wait_ready());
  auto r = run_corostack({"doctor", "-p", std::to_string(target.pid())});
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_NE(r.out.find("[critical] deadlock: 2 threads"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("holds pthread_mutex_t owl_mutex"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("and waits for pthread_mutex_t inventory_mu"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("which is held by thread"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Summary: 1 finding (1 critical)"), std::string::npos) << r.out;
  // The target was not left stopped: its threads still sleep.
  EXPECT_TRUE(target.wait_all_sleeping(std::chrono::seconds(5)));
}

}  // namespace
}  // namespace e2e
