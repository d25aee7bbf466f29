#pragma once
// What `record` and `top` drive: one Sampler per process (the target, and
// with --subprocesses its descendants, found again every few rounds), a
// Profile they all add to, and the clock that paces rounds at a rate.
#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "sample/profile.hpp"
#include "sample/sampler.hpp"

namespace corostack::sample {

// Paces rounds on CLOCK_MONOTONIC: round k is due at start + k / rate. A
// round that starts more than one interval after it was due is late; the
// schedule then restarts from now instead of bursting to catch up.
class Pacer {
 public:
  explicit Pacer(double rate_hz);
  static uint64_t monotonic_ns();
  uint64_t start_ns() const { return start_; }
  uint64_t due_ns() const { return due_; }
  // Sleeps until the next round is due (or until `not_after`, if earlier,
  // in CLOCK_MONOTONIC ns); false when a signal interrupted it.
  bool sleep_until_due(uint64_t not_after = UINT64_MAX) const;
  // Call as a round starts; returns true when it is late.
  bool start_round();
  uint64_t interval_ns() const { return interval_; }

 private:
  uint64_t interval_;
  uint64_t start_;
  uint64_t due_;
};

struct SessionOptions {
  SamplerOptions sampler;
  bool subprocesses = false;  // also sample descendants of the root process
};

struct SessionRound {
  size_t processes = 0;  // sampled this round
  size_t samples = 0;
  size_t errors = 0;
  uint64_t pause_ns = 0;
  bool root_gone = false;             // the root process exited
  std::vector<std::string> messages;  // attach/detach news for stderr
};

class SamplingSession {
 public:
  // Attaches to `root` (fails when that fails) and fills profile.pid/command.
  static Result<std::unique_ptr<SamplingSession>> start(pid_t root, const SessionOptions& options,
                                                        Profile& profile);
  // One round over every process, at `time_ns` since profile start.
  SessionRound round(uint64_t time_ns);
  // Processes being sampled now.
  size_t processes() const { return samplers_.size(); }

 private:
  SamplingSession(pid_t root, const SessionOptions& options, Profile& profile)
      : root_(root), opt_(options), profile_(profile) {}
  void rescan(SessionRound& r);

  pid_t root_;
  SessionOptions opt_;
  Profile& profile_;
  std::map<pid_t, std::unique_ptr<Sampler>> samplers_;
  std::map<pid_t, int> failed_;  // descendants that could not be attached: attempts
  uint64_t rounds_ = 0;
  bool root_gone_ = false;
};

// Children of `pid` and their descendants (from /proc/PID/task/*/children,
// falling back to a scan of every /proc/N/stat), bounded.
std::set<pid_t> descendants_of(pid_t pid);

}  // namespace corostack::sample
