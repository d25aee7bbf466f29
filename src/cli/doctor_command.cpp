#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "base/escape.hpp"
#include "cli/color_option.hpp"
#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/stderr_progress.hpp"
#include "cli/target_options.hpp"
#include "diagnose/doctor.hpp"
#include "render/doctor_renderer.hpp"

namespace corostack {
namespace {

constexpr int kExitFindings = 3;

class DoctorCommand final : public Command {
 public:
  explicit DoctorCommand(CLI::App& app) {
    cmd_ = app.add_subcommand("doctor",
                              "Why is it stuck? Deadlocks, blocked event loops, the GIL, stuck "
                              "threads, crashes (live process or core)");
    cmd_->footer(
        "Reads the process as gently as `dump` (threads blocked in a system call are never "
        "stopped; running ones for well under a millisecond), then lock owners, the GIL and "
        "event loops from its memory, and prints findings most severe first, each with its "
        "evidence, then what it checked and found healthy.\n"
        "Exit codes: 0 nothing found; 3 findings; 1 partial (something could not be read, "
        "said on stderr); 2 fatal; 64 usage error.\n"
        "Examples:\n"
        "  corostack doctor -p 1234\n"
        "  corostack doctor -p 1234 --watch 2     # also: stuck or spinning threads\n"
        "  corostack doctor --core core.1234 --json");
    add_target_options(*cmd_, target_);
    cmd_->add_flag("--json", json_, "Print JSON (schema: docs/json-schema.md)");
    add_color_option(*cmd_, color_);
    cmd_->add_option("--watch", watch_,
                     "Read twice, SECONDS apart, and compare: threads stuck in the same call "
                     "without CPU, threads spinning on one line (live processes)")
        ->check(CLI::Range(0.0, 3600.0));
  }

  int run() override {
    auto target = open_target(target_, /*reads_dwarf=*/true);
    if (!target) return report_error(target.error());
    if (watch_ > 0 && !target_.core.empty()) {
      std::cerr << "corostack: --watch needs a live process (-p)\n";
      return kExitUsage;
    }
    diagnose::DoctorOptions opts;
    opts.watch_seconds = watch_;
    StderrProgress progress;
    opts.progress = progress.fn();
    auto run = diagnose::run_doctor(**target, opts);
    progress.clear();
    if (!run) return report_error(run.error());
    run->snapshot.core_path = target_.core;
    if (json_) {
      render_doctor_json(run->snapshot, run->report, std::cout);
    } else {
      bool color = use_color(color_);
      render_doctor_text(run->snapshot, run->report, color, std::cout);
    }
    std::cout.flush();
    for (const std::string& w : run->snapshot.warnings)
      std::cerr << "corostack: warning: " << escape_for_terminal(w) << '\n';
    if (!run->report.findings.empty()) return kExitFindings;
    return run->snapshot.complete() ? kExitComplete : kExitPartial;
  }

 private:
  CLI::App* cmd_;
  TargetOptions target_;
  bool json_ = false;
  double watch_ = 0;
  std::string color_;
};

}  // namespace

std::unique_ptr<Command> make_doctor_command(CLI::App& app) {
  return std::make_unique<DoctorCommand>(app);
}

}  // namespace corostack
