// corostack top: a live view of where a process spends its time, refreshed
// every second, like `py-spy top`.
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>

#include <fmt/format.h>

#include "base/escape.hpp"
#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/sampling_cli.hpp"
#include "cli/target_options.hpp"
#include "sample/sampling_session.hpp"
#include "sample/top_table.hpp"

namespace corostack {
namespace {

constexpr const char* kTopExamples =
    "\nExamples:\n"
    "  corostack top -p 1234\n"
    "  corostack top -p 1234 --native --gil\n";

constexpr uint64_t kRefreshNs = 1'000'000'000;

// The terminal in non-canonical, no-echo mode (signals still on: Ctrl-C is
// SIGINT, handled as "quit"), the cursor hidden; all restored on
// destruction, which every exit path (return, exception, SIGINT/SIGTERM/
// SIGHUP through StopSignals) reaches.
class RawTerminal {
 public:
  RawTerminal() {
    if (::isatty(0) && ::tcgetattr(0, &saved_) == 0) {
      termios raw = saved_;
      raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
      raw.c_cc[VMIN] = 0;
      raw.c_cc[VTIME] = 0;
      active_ = ::tcsetattr(0, TCSANOW, &raw) == 0;
    }
    std::cout << "\x1b[?25l" << std::flush;
  }
  ~RawTerminal() {
    std::cout << "\x1b[?25h" << std::flush;
    if (active_) ::tcsetattr(0, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

std::pair<size_t, size_t> terminal_size() {
  winsize ws{};
  if (::ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0)
    return {ws.ws_col, ws.ws_row};
  return {120, 40};
}

class TopCommand final : public Command {
 public:
  explicit TopCommand(CLI::App& app) {
    cmd_ = app.add_subcommand("top", "Live view of the functions a process spends its time in");
    cmd_->footer(
        std::string("Refreshed every second: %Own/%Total over the last second, OwnTime/TotalTime "
                    "since the start. Keys: 1-4 (or o, t, O, T) sort by %Own, %Total, OwnTime, "
                    "TotalTime; q or Ctrl-C quits. Sampling as in `record` (blocking unless "
                    "--nonblocking).\n") +
        kExitCodesHelp + std::string(kTopExamples));
    cmd_->add_option("-p,--pid", pid_, "Process id of a live process")->required();
    add_sampling_options(*cmd_, sampling_);
  }

  int run() override {
    if (auto e = check_sampling_options(sampling_)) {
      std::cerr << "corostack: top: " << *e << '\n';
      return kExitUsage;
    }
    StopSignals stop_signals;
    enter_sandbox_or_warn();  // nothing of the target is parsed outside it
    sample::Profile profile;
    profile.rate_hz = sampling_.rate;
    sample::SessionOptions so;
    so.sampler = sampler_options(sampling_);
    auto session = sample::SamplingSession::start(pid_, so, profile);
    if (!session) return report_error(session.error());

    sample::TopSort sort = sample::TopSort::kOwnPercent;
    sample::Pacer pacer(sampling_.rate);
    uint64_t next_refresh = pacer.start_ns() + kRefreshNs;
    size_t window_begin = 0;
    std::string status;
    {
      RawTerminal term;
      bool quit = false, gone = false, keys_open = true;
      draw(profile, window_begin, sort, pacer, "starting");
      while (!quit && !gone && !stop_requested()) {
        // Wait for the next round, reading keys meanwhile.
        for (;;) {
          uint64_t now = sample::Pacer::monotonic_ns();
          if (now >= pacer.due_ns()) break;
          uint64_t wait_ms = (pacer.due_ns() - now + 999'999) / 1'000'000;
          pollfd p{keys_open ? 0 : -1, POLLIN, 0};  // -1: poll just sleeps
          int n = ::poll(&p, 1, static_cast<int>(wait_ms));
          if (n < 0 && errno == EINTR && stop_requested()) break;
          if (n > 0 && (p.revents & POLLIN)) {
            char keys[64];
            ssize_t k = ::read(0, keys, sizeof keys);
            if (k <= 0) {
              keys_open = false;  // stdin closed: no more keys; Ctrl-C still stops
              continue;
            }
            for (ssize_t i = 0; i < k; ++i) {
              switch (keys[i]) {
                case 'q':
                case 'Q':
                  quit = true;
                  break;
                case '1':
                case 'o':
                  sort = sample::TopSort::kOwnPercent;
                  break;
                case '2':
                case 't':
                  sort = sample::TopSort::kTotalPercent;
                  break;
                case '3':
                case 'O':
                  sort = sample::TopSort::kOwnTime;
                  break;
                case '4':
                case 'T':
                  sort = sample::TopSort::kTotalTime;
                  break;
                default:
                  break;
              }
            }
            if (quit) break;
            draw(profile, window_begin, sort, pacer, "");
          } else if (n > 0) {
            keys_open = false;  // hang-up or error on stdin
          }
        }
        if (quit || stop_requested()) break;
        uint64_t now = sample::Pacer::monotonic_ns();
        if (pacer.start_round()) ++profile.rounds_late;
        auto r = (*session)->round(now - pacer.start_ns());
        ++profile.samples_taken;
        profile.sample_errors += r.errors;
        if (r.root_gone) {
          gone = true;
          status = "the process exited";
        }
        if (now >= next_refresh || gone) {
          draw(profile, window_begin, sort, pacer, status);
          window_begin = profile.samples.size();
          next_refresh = now + kRefreshNs;
        }
      }
      if (status.empty()) status = quit ? "quit" : "interrupted";
    }
    std::cout << "\ncorostack: top: " << status << " after " << profile.samples_taken << " rounds\n"
              << std::flush;
    return kExitComplete;
  }

 private:
  void draw(const sample::Profile& profile, size_t window_begin, sample::TopSort sort,
            const sample::Pacer& pacer, const std::string& status) {
    auto table = sample::build_top_table(profile, window_begin, profile.samples.size());
    sample::sort_top_table(table, sort);
    sample::TopHeader h;
    h.pid = pid_;
    h.command = profile.command;
    h.rounds = profile.samples_taken;
    h.requested_hz = sampling_.rate;
    double secs = static_cast<double>(sample::Pacer::monotonic_ns() - pacer.start_ns()) / 1e9;
    h.achieved_hz = secs > 0 ? static_cast<double>(profile.samples_taken) / secs : 0;
    h.errors = profile.sample_errors;
    h.interval_ns = profile.interval_ns();
    h.idle = sampling_.idle;
    h.status = status;
    auto [cols, rows] = terminal_size();
    std::string screen = sample::render_top(table, h, sort, cols, rows > 7 ? rows - 7 : 1);
    // Home, clear, draw; newlines as CR LF so the raw mode's output is right.
    std::string out = "\x1b[H\x1b[2J";
    for (char c : screen) {
      if (c == '\n') out += '\r';
      out += c;
    }
    std::cout << out << std::flush;
  }

  CLI::App* cmd_;
  int pid_ = 0;
  SamplingCliOptions sampling_;
};

}  // namespace

std::unique_ptr<Command> make_top_command(CLI::App& app) {
  return std::make_unique<TopCommand>(app);
}

}  // namespace corostack
