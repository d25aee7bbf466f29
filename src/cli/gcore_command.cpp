#include <fmt/format.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <iostream>

#include "base/escape.hpp"
#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/publisher.hpp"
#include "cli/stderr_progress.hpp"
#include "cli/target_options.hpp"
#include "target/core_output_file.hpp"
#include "target/core_writer.hpp"
#include "target/live_process.hpp"
#include "target/proc_fs.hpp"
#include "trace/proc_fd_names.hpp"

namespace corostack {
namespace {

constexpr const char* kGcoreExamples =
    "\nExamples:\n"
    "  corostack gcore -p 1234\n"
    "  corostack gcore -p 1234 -o /var/tmp/app.core --full\n";

class GcoreCommand final : public Command {
 public:
  explicit GcoreCommand(CLI::App& app) {
    cmd_ =
        app.add_subcommand("gcore", "Write an ELF core file of a live process, then let it run on");
    cmd_->footer(
        std::string(
            "Every thread is stopped (PTRACE_SEIZE + PTRACE_INTERRUPT) while registers and memory "
            "are "
            "copied into RAM; the file is written after the process runs again. Like gdb's gcore, "
            "this interrupts threads blocked in system calls (epoll_wait may return EINTR in the "
            "target). Read-only file-backed memory (code) is left to the files on disk, as the "
            "kernel does; --full copies it too.\n") +
        kExitCodesHelp + std::string(kGcoreExamples));
    cmd_->add_option("-p,--pid", pid_, "Process id")->required();
    cmd_->add_option("-o,--output", output_, "Output file (default: core.PID)");
    cmd_->add_flag("--full", full_,
                   "Also copy read-only file-backed memory (code), for when the files may change");
  }

  int run() override {
    // Checked (and refused, target/access_policy.hpp) before anything is
    // created; this reads only what the kernel writes in /proc.
    auto proc = LiveProcess::open(pid_);
    if (!proc) return report_error(proc.error());
    std::string out = output_.empty() ? "core." + std::to_string(pid_) : output_;
    CoreOutputFile file(out);
    if (auto st = file.open(); !st) return report_error(st.error());
    // This process writes the core inside the sandbox (target/sandbox.hpp),
    // which may not rename files; a helper forked before it publishes the
    // file when told to, and removes it if this process fails or dies.
    auto publisher = Publisher::start(
        [&file](int) {
          if (auto st = file.rename_into_place(); !st) {
            std::cerr << "corostack: " << escape_for_terminal(st.error().message) << std::endl;
            return 2;
          }
          return 0;
        },
        [&file] { file.discard(); });
    if (!publisher) return report_error(publisher.error());
    enter_sandbox_or_warn(publisher->pid());

    CoreWriteOptions opts;
    opts.fd_table = [](pid_t pid) { return trace::open_fd_table(pid); };
    opts.include_file_backed_readonly = full_;
    StderrProgress progress;  // gigabytes take seconds to write
    opts.progress = progress.fn();
    auto stats = write_core(**proc, file, opts);
    progress.clear();
    if (!stats) {
      publisher->give_up();
      return report_error(make_error(ErrorKind::kIo, stats.error().message));
    }
    if (!publisher->publish()) return kExitFatal;  // it said why
    for (const std::string& w : stats->warnings)
      std::cerr << "corostack: warning: " << escape_for_terminal(w) << '\n';
    std::cerr << fmt::format(
        "corostack: wrote {} ({} threads, {} segments, {:.1f} MiB), target paused {:.2f} ms\n",
        escape_for_terminal(out), stats->threads, stats->segments, stats->bytes_written / 1048576.0,
        stats->pause_ns / 1e6);
    return stats->segments_unreadable ? kExitPartial : kExitComplete;
  }

 private:
  CLI::App* cmd_;
  int pid_ = 0;
  std::string output_;
  bool full_ = false;
};

}  // namespace

std::unique_ptr<Command> make_gcore_command(CLI::App& app) {
  return std::make_unique<GcoreCommand>(app);
}

}  // namespace corostack
