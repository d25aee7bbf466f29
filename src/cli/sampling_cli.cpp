#include "cli/sampling_cli.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <iostream>

#include "sample/sampling_session.hpp"

namespace corostack {
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int sig) {
  g_stop_signal = sig;
}

}  // namespace

void add_sampling_options(CLI::App& cmd, SamplingCliOptions& opts) {
  cmd.add_option("-r,--rate", opts.rate, "Samples per second (default 100)")
      ->check(CLI::Range(0.1, 10000.0));
  cmd.add_flag("--native", opts.native,
               "Native frames merged with Python frames (C extensions, the interpreter); "
               "reads DWARF; not with --nonblocking");
  cmd.add_flag("--nonblocking", opts.nonblocking,
               "Never stop the target: lowest overhead, but stacks of running threads may be "
               "torn (counted as errors)");
  cmd.add_flag("--idle", opts.idle,
               "Keep samples of threads that are not running (blocked in a system call: "
               "leaf frame syscall:NAME); the weight becomes wall time");
  cmd.add_flag("--gil", opts.gil, "Keep only samples of the thread holding the GIL");
}

std::optional<std::string> check_sampling_options(const SamplingCliOptions& opts) {
  if (opts.native && opts.nonblocking)
    return "--native needs registers, which --nonblocking cannot read without stopping threads";
  return std::nullopt;
}

sample::SamplerOptions sampler_options(const SamplingCliOptions& opts) {
  sample::SamplerOptions so;
  so.native = opts.native;
  so.nonblocking = opts.nonblocking;
  so.idle = opts.idle;
  so.gil_only = opts.gil;
  return so;
}

namespace {

// A signal ignored when corostack started stays ignored, the convention of
// long-running Unix tools: `nohup corostack record ... &` must outlive the
// terminal's hang-up, and a background job of a non-interactive shell
// ignores SIGINT on purpose.
void catch_unless_ignored(int sig, struct sigaction* old) {
  ::sigaction(sig, nullptr, old);
  if (old->sa_handler == SIG_IGN) return;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: interrupt sleeps and reads
  ::sigaction(sig, &sa, nullptr);
}

}  // namespace

StopSignals::StopSignals() {
  g_stop_signal = 0;
  catch_unless_ignored(SIGINT, &old_int_);
  catch_unless_ignored(SIGTERM, &old_term_);
  catch_unless_ignored(SIGHUP, &old_hup_);
}

StopSignals::~StopSignals() {
  ::sigaction(SIGINT, &old_int_, nullptr);
  ::sigaction(SIGTERM, &old_term_, nullptr);
  ::sigaction(SIGHUP, &old_hup_, nullptr);
}

bool stop_requested() {
  return g_stop_signal != 0;
}
int stop_signal() {
  return g_stop_signal;
}

Progress::Progress(pid_t pid)
    : pid_(pid), tty_(::isatty(2) == 1), start_ns_(sample::Pacer::monotonic_ns()) {}

std::string Progress::line(const sample::Profile& p) const {
  double secs = static_cast<double>(sample::Pacer::monotonic_ns() - start_ns_) / 1e9;
  double achieved = secs > 0 ? static_cast<double>(p.samples_taken) / secs : 0;
  return fmt::format(
      "corostack: pid {}: {:.1f} s, {} rounds ({:.0f}/s of {:g}), {} samples, {} "
      "errors, {} rounds late",
      pid_, secs, p.samples_taken, achieved, p.rate_hz, p.samples.size(), p.sample_errors,
      p.rounds_late);
}

void Progress::update(const sample::Profile& p) {
  uint64_t now = sample::Pacer::monotonic_ns();
  uint64_t every = tty_ ? 500'000'000u : 5'000'000'000u;
  if (now - last_ns_ < every) return;
  if (last_ns_ == 0) {  // not at once: the first report after one period
    last_ns_ = now;
    return;
  }
  last_ns_ = now;
  if (tty_)
    std::cerr << '\r' << line(p) << "\x1b[K" << std::flush;
  else
    std::cerr << line(p) << '\n';
}

void Progress::finish(const sample::Profile& p, const char* why) {
  if (tty_) std::cerr << '\r';
  std::cerr << line(p) << "; stopped: " << why << (tty_ ? "\x1b[K\n" : "\n");
  if (p.rounds_late > 0 && p.samples_taken > 0)
    std::cerr << fmt::format(
        "corostack: {:.1f}% of rounds started late (more than one interval behind {:g} Hz)\n",
        100.0 * static_cast<double>(p.rounds_late) / static_cast<double>(p.samples_taken),
        p.rate_hz);
}

}  // namespace corostack
