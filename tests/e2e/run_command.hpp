#pragma once
// Runs a command to completion with a timeout, capturing its output. Used for
// the corostack binary and for the oracles (gdb, eu-stack).
#include <chrono>
#include <string>
#include <vector>

namespace e2e {

struct CommandResult {
  std::vector<std::string> argv;
  int exit_code = -1;      // exit status; -1 when killed by a signal
  int signal = 0;          // terminating signal; 0 when it exited
  bool timed_out = false;  // killed by us because the timeout passed
  std::string out;
  std::string err;

  bool ok() const { return !timed_out && exit_code == 0; }
  // The command line, how it ended and its stderr, for failure messages.
  std::string describe() const;
};

// Runs argv (argv[0] looked up in PATH) in its own process group with stdin
// from /dev/null. On timeout the whole group is killed with SIGKILL.
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace e2e
