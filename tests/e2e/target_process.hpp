#pragma once
// A test target spawned for one test, killed with its whole process group when
// the test ends. Targets follow the protocol of tests/targets/target_common.hpp:
// they write "ready\n" to a pipe once they are in their known state.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace e2e {

struct TargetOptions {
  std::filesystem::path cwd;    // empty: the test's own
  bool unlimited_core = false;  // RLIMIT_CORE = unlimited, for targets that crash
};

class TargetProcess {
 public:
  // Every "{ready_fd}" in argv is replaced by the fd number of the ready
  // pipe's write end. The target's stdout and stderr go to a temporary file.
  explicit TargetProcess(std::vector<std::string> argv, TargetOptions options = {});
  ~TargetProcess();
  TargetProcess(const TargetProcess&) = delete;
  TargetProcess& operator=(const TargetProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Waits for "ready\n". With all_sleeping, then also until every thread is
  // asleep (state S): the target's main thread signals ready just before it
  // blocks, so without this a dump could catch it running.
  testing::AssertionResult wait_ready(bool all_sleeping = true,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // Waits until every thread of the target is in state S (e.g. resumed after a dump).
  testing::AssertionResult wait_all_sleeping(std::chrono::milliseconds timeout);

  // Waits for the target to exit and reaps it; returns the wait status, or
  // nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  // What the target wrote to stdout and stderr so far.
  std::string output() const;

 private:
  std::string describe_failure(const std::string& what);

  pid_t pid_ = -1;
  bool reaped_ = false;
  int ready_fd_ = -1;  // read end
  std::filesystem::path output_path_;
};

}  // namespace e2e
