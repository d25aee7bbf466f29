#pragma once
// What `record` and `top` share: the sampling options, Ctrl-C/SIGTERM
// handling (a flag the loops poll; sleeps are interrupted), and progress on
// stderr.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdint>
#include <optional>
#include <string>

#include "sample/profile.hpp"
#include "sample/sampler.hpp"

namespace corostack {

struct SamplingCliOptions {
  double rate = 100;
  bool native = false;
  bool nonblocking = false;
  bool idle = false;
  bool gil = false;
};

void add_sampling_options(CLI::App& cmd, SamplingCliOptions& opts);
// A message when the combination makes no sense.
std::optional<std::string> check_sampling_options(const SamplingCliOptions& opts);
sample::SamplerOptions sampler_options(const SamplingCliOptions& opts);

// While alive, SIGINT, SIGTERM and SIGHUP set the stop flag (no SA_RESTART:
// a sleep returns early), unless corostack started with them ignored (nohup,
// background jobs): those stay ignored. The previous handlers come back on
// destruction.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ {
  }, old_term_{}, old_hup_{};
};
bool stop_requested();
int stop_signal();  // the signal that asked to stop, 0 if none

// "samples, errors, late rounds" on stderr: rewritten in place on a terminal
// (twice a second), a line every 5 s otherwise.
class Progress {
 public:
  explicit Progress(pid_t pid);
  void update(const sample::Profile& profile);
  void finish(const sample::Profile& profile, const char* why);

 private:
  std::string line(const sample::Profile& profile) const;
  pid_t pid_;
  bool tty_;
  uint64_t last_ns_ = 0;
  uint64_t start_ns_;
};

}  // namespace corostack
