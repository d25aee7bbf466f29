#pragma once
// -C prints the trace and the -c table: one source, several sinks. Notes
// ("Process N attached") go to stderr, where strace writes its own, not into
// the trace (which may be a file or JSON).
#include <iostream>
#include <vector>

#include "base/escape.hpp"
#include "trace/trace_sink.hpp"

namespace corostack::trace {

class SinkFanOut final : public TraceSink {
 public:
  explicit SinkFanOut(std::vector<TraceSink*> sinks, bool quiet = false)
      : sinks_(std::move(sinks)), quiet_(quiet) {}
  void enter(const CallEntry& e, const MemoryReader& m) override {
    for (TraceSink* s : sinks_) s->enter(e, m);
  }
  void leave(pid_t tid, const CallExit& x, const MemoryReader& m) override {
    for (TraceSink* s : sinks_) s->leave(tid, x, m);
  }
  void signal(const SignalEvent& e) override {
    for (TraceSink* s : sinks_) s->signal(e);
  }
  void exited(const ExitEvent& e) override {
    for (TraceSink* s : sinks_) s->exited(e);
  }
  void note(const std::string& message) override {
    if (!quiet_) std::cerr << "corostack: " << escape_for_terminal(message) << std::endl;
  }
  void threads_traced(size_t count) override {
    for (TraceSink* s : sinks_) s->threads_traced(count);
  }
  void flush() override {
    for (TraceSink* s : sinks_) s->flush();
  }
  void finish() override {
    for (TraceSink* s : sinks_) s->finish();
  }

 private:
  std::vector<TraceSink*> sinks_;
  bool quiet_;
};

}  // namespace corostack::trace
