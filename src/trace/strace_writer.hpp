#pragma once
// strace's line format: "[pid N] write(3</x>, "tick\n", 5) = 5 <0.000021>",
// a call another thread's line interrupts closed with " <unfinished ...>" and
// continued as "<... write resumed>) = 5", signals as "--- SIGCHLD {...} ---",
// ends as "+++ exited with 0 +++". Under a call, its Python (--py) and native
// (--native) frames as strace -k prints native ones: " > file.py:12 in fn".
#include <cstdio>
#include <string>
#include <unordered_map>

#include "trace/line_options.hpp"
#include "trace/trace_sink.hpp"

namespace corostack::trace {

class StraceWriter final : public TraceSink {
 public:
  // `out` stays owned by the caller; `flush_lines`: fflush after each line
  // (a terminal or a pipe someone reads), else only when finishing.
  StraceWriter(std::FILE* out, const LineOptions& options, const FdNames& fds, bool flush_lines);

  void enter(const CallEntry& entry, const MemoryReader& mem) override;
  void leave(pid_t tid, const CallExit& exit, const MemoryReader& mem) override;
  void signal(const SignalEvent& event) override;
  void exited(const ExitEvent& event) override;
  void note(const std::string& message) override;
  void finish() override;
  void flush() override;

  void threads_traced(size_t count) override { many_threads_ = count > 1; }

 private:
  struct Pending {
    CallEntry entry;
    std::string text;        // "write(3, ", as printed (or held back) at entry
    bool printed = false;    // the text went out (then its line may be open)
    bool more_args = false;  // arguments follow at exit
  };
  std::string leader(pid_t tid, uint64_t time_ns, uint64_t wall_ns);
  // Ends another thread's open line with " <unfinished ...>".
  void close_open_line();
  void emit(const std::string& text, bool complete);
  void emit_frames(const CallEntry& entry);
  bool held_back() const { return options_.status != kStatusAll; }

  std::FILE* out_;
  LineOptions options_;
  const FdNames& fds_;
  bool flush_lines_;
  bool many_threads_ = false;
  pid_t open_line_tid_ = 0;  // whose call text ends the last output, 0: none
  size_t column_ = 0;        // characters on the current output line
  uint64_t last_time_ns_ = 0;
  std::unordered_map<pid_t, Pending> pending_;
};

// "--- stopped by SIGSTOP ---" etc. need the signal's name; "12:00:01.000123 "
// style leaders need the clock: exposed for the JSON writer and tests.
std::string format_timestamp(int style, uint64_t wall_ns);

}  // namespace corostack::trace
