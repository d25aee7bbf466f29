#pragma once
// trace --json: one JSON object per line for each call (when it returns),
// signal and exit, for scripts: {"pid":..,"tid":..,"syscall":"write",
// "args":["1","\"hi\\n\"","3"],"return":"3","retval":3,...}.
#include <cstdio>
#include <unordered_map>

#include "trace/line_options.hpp"
#include "trace/trace_sink.hpp"

namespace corostack::trace {

class JsonTraceWriter final : public TraceSink {
 public:
  JsonTraceWriter(std::FILE* out, const LineOptions& options, const FdNames& fds);
  void enter(const CallEntry& entry, const MemoryReader& mem) override;
  void leave(pid_t tid, const CallExit& exit, const MemoryReader& mem) override;
  void signal(const SignalEvent& event) override;
  void exited(const ExitEvent& event) override;
  void note(const std::string&) override {}
  void finish() override;
  void flush() override;

 private:
  struct Open {
    CallEntry entry;
    std::vector<std::string> args;
    bool more = false;  // arguments follow at exit
  };
  void write_line(const std::string& json);
  std::FILE* out_;
  LineOptions options_;
  const FdNames& fds_;
  std::unordered_map<pid_t, Open> open_;
};

}  // namespace corostack::trace
