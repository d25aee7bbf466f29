#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "base/escape.hpp"
#include "cli/color_option.hpp"
#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/target_options.hpp"
#include "render/json_renderer.hpp"
#include "render/text_renderer.hpp"
#include "snapshot/crash_info.hpp"
#include "snapshot/fd_names.hpp"
#include "snapshot/python_snapshot.hpp"
#include "snapshot/source_lines.hpp"
#include "trace/proc_fd_names.hpp"

namespace corostack {
namespace {

constexpr const char* kDumpExamples =
    "\nExamples:\n"
    "  corostack dump -p 1234\n"
    "  corostack dump -p 1234 --native --locals\n"
    "  corostack dump --core core.1234 --exe /usr/bin/app --json\n";

class DumpCommand final : public Command {
 public:
  explicit DumpCommand(CLI::App& app) {
    cmd_ = app.add_subcommand("dump", "Print every thread's stack (live process or core)");
    cmd_->footer(
        std::string(
            "A live process is stopped with PTRACE_SEIZE + PTRACE_INTERRUPT for as long as it "
            "takes to "
            "copy registers and stack tops (typically well under a millisecond), then resumed; "
            "unwinding and symbolisation happen after it runs again. It is never left stopped or "
            "traced, even if corostack is killed.\n") +
        kExitCodesHelp + std::string(kDumpExamples));
    add_target_options(*cmd_, target_);
    cmd_->add_flag("--json", json_, "Print JSON (schema: docs/json-schema.md)");
    add_color_option(*cmd_, color_);
    cmd_->add_flag(
        "--no-lines", no_lines_,
        "Names from ELF symbol tables only: no file:line, no inlined frames, no DWARF loading");
    cmd_->add_option("--max-frames", max_frames_, "Stop unwinding a thread after this many frames")
        ->check(CLI::Range(1, 100000));
    cmd_->add_flag("--native", native_,
                   "Python targets: one merged stack per thread, native frames with each "
                   "eval-loop frame replaced by the Python frames it runs");
    cmd_->add_flag("--locals", locals_,
                   "Python targets: arguments and local variables of each Python frame "
                   "(bounded reprs)");
    cmd_->add_flag("--no-python", no_python_, "Native frames only, even for a Python process");
    cmd_->add_option("--source", source_context_,
                     "Python frames: N lines of source around the executing one (gdb's py-list); "
                     "by default only that line, as pystack and py-bt show it")
        ->check(CLI::Range(0, 100));
    cmd_->add_flag("--no-source", no_source_, "Python frames: no source lines")
        ->excludes("--source");
    cmd_->add_flag("--stop-all", stop_all_,
                   "Also stop threads blocked in a system call. By default they are read "
                   "without stopping them (from /proc/TID/syscall and their stack), since "
                   "interrupting them makes epoll_wait, poll, select... return EINTR in the "
                   "target; only running threads are stopped");
    cmd_->add_flag("--nonblocking", nonblocking_,
                   "Stop nothing at all: running threads get no native stack and their Python "
                   "frames may be torn (each is marked); blocked threads are read as usual")
        ->excludes("--stop-all");
    cmd_->add_flag("--async", async_,
                   "Python targets: after each thread, the asyncio loop it runs, the task "
                   "running on it and its suspended tasks counted by what they wait on; then "
                   "coroutines never awaited (see `corostack tasks` for every task)");
  }

  bool selected() const { return cmd_->parsed(); }

  int run() override {
    // Native frames (every non-Python thread, and --native) are symbolized with DWARF.
    auto target = open_target(target_, /*reads_dwarf=*/!no_lines_);
    if (!target) return report_error(target.error());
    SnapshotOptions opts;
    opts.native.max_frames = static_cast<size_t>(max_frames_);
    opts.native.source_lines = !no_lines_;
    opts.python = !no_python_;
    opts.merge_native = native_;
    opts.walk.locals = locals_;
    // Native variables need every register of every frame: a thread read
    // without stopping it has only its stack and instruction pointers.
    opts.native.locals = locals_ && native_;
    opts.native.capture.stop_blocked_threads = stop_all_ || opts.native.locals;
    opts.native.capture.nonblocking = nonblocking_;
    opts.asyncio = async_ && !no_python_;
    auto snap = take_snapshot(**target, opts);
    if (!snap) return report_error(snap.error());
    snap->core_path = target_.core;
    snap->crash = read_crash_info(**target);
    if (!no_source_) {
      // A file newer than the process (or the core) may not hold the code that ran.
      std::optional<int64_t> newer_than;
      struct stat st {};
      if ((*target)->kind() == TargetKind::kLive)
        newer_than = process_start_time((*target)->pid());
      else if (::stat(target_.core.c_str(), &st) == 0)
        newer_than = st.st_mtim.tv_sec;
      attach_source_lines(*snap, **target, source_context_, newer_than);
    }
    name_blocked_fds(*snap, trace::fd_namer_for(**target));

    if (json_) {
      render_json(*snap, std::cout);
    } else {
      TextOptions to;
      to.color = use_color(color_);
      render_text(*snap, to, std::cout);
    }
    std::cout.flush();
    for (const std::string& w : snap->warnings)
      std::cerr << "corostack: warning: " << escape_for_terminal(w) << '\n';
    if (snap->python) {
      for (const std::string& e : snap->python->errors)
        std::cerr << "corostack: Python: " << escape_for_terminal(e) << '\n';
    }
    for (const ThreadSnapshot& t : snap->threads) {
      for (const std::string& e : t.errors) {
        std::cerr << "corostack: thread " << t.tid << ": " << escape_for_terminal(e) << '\n';
      }
    }
    if (snap->threads.empty()) return kExitFatal;
    return snap->complete() ? kExitComplete : kExitPartial;
  }

 private:
  CLI::App* cmd_;
  TargetOptions target_;
  bool json_ = false;
  bool no_lines_ = false;
  int max_frames_ = 256;
  bool native_ = false;
  bool locals_ = false;
  bool no_python_ = false;
  bool async_ = false;
  bool stop_all_ = false;
  bool nonblocking_ = false;
  int source_context_ = 0;
  bool no_source_ = false;
  std::string color_;
};

}  // namespace

std::unique_ptr<Command> make_dump_command(CLI::App& app) {
  return std::make_unique<DumpCommand>(app);
}

}  // namespace corostack
