// End-to-end (issue 19): long work shows its progress on stderr when that is
// a terminal, and never in a pipe. doctor --watch 2 waits two seconds between
// its reads, past the one second before progress shows; `script` gives it a
// pseudo-terminal.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "native_target.hpp"
#include "paths.hpp"
#include "run_command.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"
#include "truth.hpp"

namespace e2e {
namespace {

TEST(Progress, ShownOnATerminalOnlyAndCleared) {
  TempDir dir;
  std::unique_ptr<TargetProcess> target;
  Truth truth;
  ASSERT_TRUE(start_blocked(paths::kNativeThreadsO0, native_threads_args(), dir, &target, &truth));
  std::string command =
      std::string(paths::kCorostack) + " doctor --watch 2 -p " + std::to_string(target->pid());
  auto tty = run_command({"script", "-qec", command, "/dev/null"});
  // Exit 0 or 3 (findings): the run is not what is tested here.
  EXPECT_TRUE(tty.exit_code == 0 || tty.exit_code == 3) << tty.describe();
  EXPECT_NE(tty.out.find("corostack: watching: "), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find(" s of 2.0 s"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("\r\x1b[K"), std::string::npos) << "the progress line is not cleared";
  EXPECT_NE(tty.out.find("Summary:"), std::string::npos) << tty.out;

  auto piped = run_command(
      {paths::kCorostack, "doctor", "--watch", "2", "-p", std::to_string(target->pid())});
  EXPECT_EQ(piped.err.find("watching:"), std::string::npos) << piped.err;
  EXPECT_EQ(piped.err.find('\r'), std::string::npos) << piped.err;
}

}  // namespace
}  // namespace e2e
