#include <fmt/format.h>

#include <iostream>

#include "base/escape.hpp"
#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "target/core_writer.hpp"
#include "target/live_process.hpp"
#include "target/proc_fs.hpp"
#include "trace/proc_fd_names.hpp"

namespace corostack {
namespace {

constexpr const char* kExamples =
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
        kExitCodesHelp + std::string(kExamples));
    cmd_->add_option("-p,--pid", pid_, "Process id")->required();
    cmd_->add_option("-o,--output", output_, "Output file (default: core.PID)");
    cmd_->add_flag("--full", full_,
                   "Also copy read-only file-backed memory (code), for when the files may change");
  }

  int run() override {
    auto proc = LiveProcess::open(pid_);
    if (!proc) {
      std::cerr << "corostack: " << escape_for_terminal(proc.error().message) << '\n';
      return proc.error().kind == ErrorKind::kUsage ? kExitUsage : kExitFatal;
    }
    std::string out = output_.empty() ? "core." + std::to_string(pid_) : output_;
    CoreWriteOptions opts;
    opts.fd_table = [](pid_t pid) { return trace::open_fd_table(pid); };
    opts.include_file_backed_readonly = full_;
    auto stats = write_core(**proc, out, opts);
    if (!stats) {
      std::cerr << "corostack: " << escape_for_terminal(stats.error().message) << '\n';
      return kExitFatal;
    }
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
