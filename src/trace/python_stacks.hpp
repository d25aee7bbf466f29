#pragma once
// --py: the Python stack of a thread stopped at a system call's entry, read
// with the same walker and code cache as `dump`. One process per traced
// tgid; the interpreter is located on first use (a command just started has
// no interpreter yet: retried, at most every 50 ms), each thread's state is
// remembered and checked again at every call, and only that thread's
// frames are read (innermost `depth`), not the whole process.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "python/python_frame.hpp"

namespace corostack::trace {

class PythonStacks {
 public:
  explicit PythonStacks(size_t depth);
  ~PythonStacks();
  PythonStacks(const PythonStacks&) = delete;
  PythonStacks& operator=(const PythonStacks&) = delete;

  // `fs_base` gives the thread's pthread_t (its fs register), which
  // identifies its thread state on versions that do not record the TID
  // (<= 3.10); called only there (reading registers costs a system call).
  Result<std::vector<python::PyFrame>> stack(pid_t tgid, pid_t tid,
                                             const std::function<uint64_t()>& fs_base);
  // The process exec'd or exited: its interpreter is gone.
  void forget(pid_t tgid);

 private:
  struct Process;
  Process* process(pid_t tgid);
  size_t depth_;
  std::unordered_map<pid_t, std::unique_ptr<Process>> processes_;
};

}  // namespace corostack::trace
