#pragma once
// strace -c: per call its count, errors and time, printed as strace's table
// ("% time  seconds  usecs/call  calls  errors syscall") when the trace ends.
// With --py, a second table per Python line and call: which lines of the
// program make the calls and spend the time.
#include <cstdio>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "trace/trace_sink.hpp"

namespace corostack::trace {

struct CallCount {
  uint64_t calls = 0;
  uint64_t errors = 0;
  uint64_t time_ns = 0;
};

class CallCounts final : public TraceSink {
 public:
  // wall: -w (latency) instead of system CPU time; by_python: the second table.
  CallCounts(std::FILE* out, bool wall, bool by_python);

  void enter(const CallEntry& entry, const MemoryReader& mem) override;
  void leave(pid_t tid, const CallExit& exit, const MemoryReader& mem) override;
  void signal(const SignalEvent&) override {}
  void exited(const ExitEvent& event) override;
  void note(const std::string&) override {}
  void finish() override;

  // Counts taken elsewhere (the in-kernel source counts in the kernel).
  void add(int64_t nr, const CallCount& c);
  const std::map<int64_t, CallCount>& by_call() const { return by_call_; }

 private:
  struct Open {
    int64_t nr;
    uint64_t time_ns;
    std::string where;  // "app.py:61 (slow_handler)" with --py
  };
  struct Row {
    std::string name;
    CallCount count;
  };
  void print_table(std::vector<Row> rows, const char* last_column);

  std::FILE* out_;
  bool wall_;
  bool by_python_;
  std::unordered_map<pid_t, Open> open_;
  std::map<int64_t, CallCount> by_call_;
  std::map<std::tuple<std::string, int64_t>, CallCount> by_line_;
};

}  // namespace corostack::trace
