// Invariant 7: threads blocked in a system call are read without stopping
// them. eintr_loops exits (status 3) the moment epoll_wait, poll, select, a
// futex wait or accept returns EINTR; it must survive many `dump` runs, and
// `dump --stop-all` (which interrupts every thread, as gdb, pystack and
// py-spy do) must kill it: the control that shows the test can fail. The
// default and --stop-all dumps of the native targets must be identical.
#include <sys/wait.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "corostack.hpp"
#include "native_target.hpp"
#include "paths.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

int rounds() {
  const char* v = std::getenv("COROSTACK_HARM_ROUNDS");
  return v ? std::atoi(v) : 1000;
}

TEST(DoNoHarm, BlockedThreadsSurviveManyDumps) {
  TempDir dir;
  TargetProcess target({paths::kEintrLoops, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(true)) << target.output();
  std::string pid = std::to_string(target.pid());
  int n = rounds();
  for (int i = 0; i < n; ++i) {
    // --no-lines: the capture is what is under test; DWARF would only make
    // each round 3x slower.
    CommandResult r = run_corostack({"dump", "--no-lines", "-p", pid});
    ASSERT_EQ(r.exit_code, 0) << "round " << i << ": " << r.describe() << target.output();
    ASSERT_EQ(target.wait_exit(std::chrono::milliseconds(0)), std::nullopt)
        << "round " << i << ": the target died: " << target.output();
  }
  std::cout << "[ info ] eintr_loops survived " << n << " dumps\n";
  // The control: stopping every thread interrupts the blocked calls.
  CommandResult all = run_corostack({"dump", "--stop-all", "-p", pid});
  auto status = target.wait_exit(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value()) << "the target survived --stop-all: the test cannot fail";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 3) << *status;
  EXPECT_NE(target.output().find("returned EINTR"), std::string::npos) << target.output();
}

// Reading without stopping must not change what is read.
TEST(DoNoHarm, DumpEqualsTheStopAllDump) {
  for (const char* exe : {paths::kNativeThreadsO0, paths::kNativeThreadsO2, paths::kManyThreads}) {
    SCOPED_TRACE(exe);
    TempDir dir;
    std::unique_ptr<TargetProcess> target;
    Truth truth;
    ASSERT_TRUE(start_blocked(exe, {}, dir, &target, &truth));
    std::string pid = std::to_string(target->pid());
    JsonRun gentle = run_corostack_json({"dump", "-p", pid, "--json"});
    JsonRun stopped = run_corostack_json({"dump", "--stop-all", "-p", pid, "--json"});
    ASSERT_FALSE(gentle.json.is_discarded()) << gentle.cmd.describe();
    ASSERT_FALSE(stopped.json.is_discarded()) << stopped.cmd.describe();
    EXPECT_EQ(gentle.json.at("pause_ns"), 0) << "nothing runs: nothing should be stopped";
    const auto& a = gentle.json.at("threads");
    const auto& b = stopped.json.at("threads");
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      SCOPED_TRACE("thread " + a[i].at("tid").dump());
      EXPECT_EQ(a[i].at("frames"), b[i].at("frames"));
      // --stop-all sees restart_syscall for an interrupted nanosleep.
      if (b[i].at("syscall").is_object() && b[i].at("syscall").at("name") != "restart_syscall") {
        EXPECT_EQ(a[i].at("syscall"), b[i].at("syscall"));
      }
    }
  }
}

}  // namespace
}  // namespace e2e
