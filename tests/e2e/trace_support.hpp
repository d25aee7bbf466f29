#pragma once
// What the `trace` tests share: corostack (or strace) tracing a target in
// the background, the moment every thread of the target is traced (its
// TracerPid, never sleep-and-hope), the go byte through the target's FIFO,
// and lines normalized so two tracers' outputs compare.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "run_command.hpp"

namespace e2e {

// A command run to completion on another thread (it ends when its target exits).
class Background {
 public:
  explicit Background(std::vector<std::string> argv,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60));
  CommandResult wait();

 private:
  std::future<CommandResult> result_;
};

// Waits until every thread of pid is traced by someone (TracerPid != 0).
bool wait_traced(pid_t pid, std::chrono::milliseconds timeout = std::chrono::seconds(20));
// Waits until `file` contains `text`.
bool wait_for_text(const std::filesystem::path& file, const std::string& text,
                   std::chrono::milliseconds timeout = std::chrono::seconds(20));
// Whether any thread of pid is traced or in a ptrace/job stop.
std::string traced_or_stopped(pid_t pid);

// Creates the file the target waits for (atomically, by rename).
bool send_go(const std::filesystem::path& go);

// strace lines made comparable: pids, addresses, inode numbers and times
// replaced by placeholders; leading "[pid N] " / "N " columns dropped.
std::string normalize_trace_line(const std::string& line, pid_t pid);
std::vector<std::string> read_lines(const std::filesystem::path& file);

}  // namespace e2e
