#include <iostream>
#include <sstream>

#include "base/escape.hpp"
#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/stderr_progress.hpp"
#include "cli/target_options.hpp"
#include "render/coro_renderer.hpp"
#include "snapshot/coro_snapshot.hpp"

namespace corostack {
namespace {

constexpr const char* kCoroExamples =
    "\nExamples:\n"
    "  corostack coro -p 1234\n"
    "  corostack coro -p 1234 --tree --promise\n"
    "  corostack coro --core core.1234 --locals\n";

class CoroCommand final : public Command {
 public:
  explicit CoroCommand(CLI::App& app) {
    cmd_ = app.add_subcommand(
        "coro",
        "List every C++20 coroutine frame of a process or core (g++ or clang, -O0 or -O2) as "
        "async stacks: each suspended coroutine, what it is suspended at, and who awaits it");
    cmd_->footer(
        std::string(
            "Frames are found by scanning all writable memory for the destroy/cleanup "
            "pointers every frame holds (no registry needed), validated, and chained through "
            "each promise's continuation member. Needs the binary's symbol table (.symtab); "
            "lines need DWARF. A live process is scanned while it runs and paused only to "
            "validate the candidates and read the threads' registers.\n") +
        kExitCodesHelp + std::string(kCoroExamples));
    add_target_options(*cmd_, target_);
    cmd_->add_flag("--tree", tree_, "Group the async stacks under their outermost coroutine");
    cmd_->add_flag("--stop-all", stop_all_,
                   "Also stop threads blocked in a system call (by default they are read "
                   "without stopping them: interrupting makes epoll_wait, poll... return EINTR)");
    cmd_->add_flag("--json", json_, "Print JSON (schema: docs/json-schema.md)");
    cmd_->add_flag("--promise", promise_,
                   "Print each promise's scalar members and std::string/string_view contents "
                   "(bounded)");
    cmd_->add_flag("--locals", locals_,
                   "Print the variables each suspended coroutine keeps across its suspension "
                   "points, from its frame type in DWARF (optimized clang frames carry the "
                   "compiler's slot names, such as __int_32_0)");
    cmd_->add_option("--continuation", continuation_,
                     "Promise member names (or dotted paths) that hold the awaiting coroutine's "
                     "handle, tried in order (default: continuation)")
        ->delimiter(',');
  }

  int run() override {
    auto target = open_target(target_, /*reads_dwarf=*/true);
    if (!target) return report_error(target.error());
    CoroSnapshotOptions opts;
    if (!continuation_.empty()) opts.table.continuation_names = continuation_;
    opts.promise_values = promise_;
    opts.locals = locals_;
    opts.native.capture.stop_blocked_threads = stop_all_;
    StderrProgress progress;  // a big heap takes seconds to scan
    opts.scan.progress = progress.fn();
    auto snap = take_coro_snapshot(**target, opts);
    progress.clear();
    if (!snap) return report_error(snap.error());
    if (json_) {
      render_coro_json(*snap, std::cout);
    } else if (tree_) {
      render_coro_tree(*snap, promise_, std::cout);
    } else {
      render_coro_text(*snap, promise_, std::cout);
    }
    std::cout.flush();
    if (!json_) {
      for (const std::string& w : snap->process.warnings)
        std::cerr << "corostack: warning: " << escape_for_terminal(w) << '\n';
      for (const std::string& w : snap->coro.warnings)
        std::cerr << "corostack: warning: " << escape_for_terminal(w) << '\n';
    }
    for (const std::string& e : snap->coro.errors)
      std::cerr << "corostack: " << escape_for_terminal(e) << '\n';
    if (snap->coro.coroutines_known == 0)
      std::cerr << "corostack: no C++ coroutine functions found in this process's symbol tables\n";
    return snap->coro.errors.empty() ? kExitComplete : kExitPartial;
  }

 private:
  CLI::App* cmd_;
  TargetOptions target_;
  bool tree_ = false;
  bool json_ = false;
  bool stop_all_ = false;
  bool promise_ = false;
  bool locals_ = false;
  std::vector<std::string> continuation_;
};

}  // namespace

std::unique_ptr<Command> make_coro_command(CLI::App& app) {
  return std::make_unique<CoroCommand>(app);
}

}  // namespace corostack
