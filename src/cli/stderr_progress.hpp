#pragma once
// Progress of long work on stderr, as other tools show it: only on a terminal
// (never in pipes, logs or tests' captured output), only once the work has
// run for a second, at most ten times a second, on one line that is cleared
// when the work ends. `NO_COLOR` does not matter: no colour is used.
#include <chrono>
#include <string>

#include "base/progress.hpp"

namespace corostack {

class StderrProgress {
 public:
  // Shows on a terminal (stderr a tty); `force` for tests of the rendering.
  explicit StderrProgress(bool force = false);
  ~StderrProgress();  // clears the line if one was drawn
  StderrProgress(const StderrProgress&) = delete;
  StderrProgress& operator=(const StderrProgress&) = delete;

  // A ProgressFn drawing through this object (valid while it lives).
  ProgressFn fn();
  void clear();

  // "scanning memory for coroutine frames: 1.2 GiB of 4.0 GiB (30%)" (bytes),
  // "watching: 1.2 s of 2.0 s" (milliseconds, what == "watching").
  static std::string text(std::string_view what, uint64_t done, uint64_t total);

 private:
  void report(std::string_view what, uint64_t done, uint64_t total);
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace corostack
