#pragma once
// `trace -- CMD`: the command is forked first and waits, before its exec,
// until the tracer is in place (a ptrace seize, or BPF programs attached),
// so its execve is the first call traced. It dies with corostack
// (PR_SET_PDEATHSIG), as record's command does.
#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.hpp"

namespace corostack::trace {

class WaitingCommand {
 public:
  // Finds argv[0] on PATH (an error now rather than an exit 127 later),
  // then forks the child, which blocks until go().
  static Result<WaitingCommand> fork(const std::vector<std::string>& argv);
  WaitingCommand(WaitingCommand&& other) noexcept;
  WaitingCommand& operator=(WaitingCommand&&) = delete;
  ~WaitingCommand();  // not released: the child is killed and reaped

  pid_t pid() const { return pid_; }
  // Lets the child exec. Afterwards the caller owns (waits for) the process.
  void go();

 private:
  WaitingCommand(pid_t pid, int go_fd) : pid_(pid), go_fd_(go_fd) {}
  pid_t pid_;
  int go_fd_;  // write end of the pipe the child reads one byte from; -1 after go()
};

}  // namespace corostack::trace
