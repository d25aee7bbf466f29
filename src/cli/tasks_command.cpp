#include <unistd.h>

#include <iostream>

#include "base/escape.hpp"
#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/target_options.hpp"
#include "render/tasks_renderer.hpp"
#include "snapshot/python_snapshot.hpp"

namespace corostack {
namespace {

constexpr const char* kTasksExamples =
    "\nExamples:\n"
    "  corostack tasks -p 1234\n"
    "  corostack tasks -p 1234 --tree\n"
    "  corostack tasks --core core.1234 --json\n";

class TasksCommand final : public Command {
 public:
  explicit TasksCommand(CLI::App& app) {
    cmd_ = app.add_subcommand(
        "tasks",
        "List every asyncio task of a CPython 3.8+ process or core: its coroutine "
        "stack, what it waits on, and who awaits it");
    cmd_->footer(
        std::string("The table follows `python -m asyncio ps` (plus the task's state and what it "
                    "waits on); --tree follows `python -m asyncio pstree`. A live process is "
                    "paused once, for as long as reading the threads and the task graph takes. "
                    "With --tree, an await cycle is reported on stderr and the exit code is 1.\n") +
        kExitCodesHelp + std::string(kTasksExamples));
    add_target_options(*cmd_, target_);
    cmd_->add_flag("--tree", tree_,
                   "Print the await tree (tasks under the coroutine that awaits "
                   "them)");
    cmd_->add_flag("--stop-all", stop_all_,
                   "Also stop threads blocked in a system call (by default they are read "
                   "without stopping them: interrupting makes epoll_wait, poll... return EINTR)");
    cmd_->add_flag("--json", json_, "Print JSON (schema: docs/json-schema.md)");
    cmd_->add_flag("--no-unawaited", no_unawaited_,
                   "Do not search the GC's object lists for coroutines that were never "
                   "awaited (the search visits every tracked object, inside the pause)");
  }

  int run() override {
    auto target = open_target(target_);
    if (!target) return report_error(target.error());
    SnapshotOptions opts;
    opts.native_fallback = false;
    opts.asyncio = true;
    opts.native.capture.stop_blocked_threads = stop_all_;
    opts.async_walk.find_unawaited = !no_unawaited_;
    auto snap = take_snapshot(**target, opts);
    if (!snap) return report_error(snap.error());
    snap->core_path = target_.core;
    for (const std::string& w : snap->warnings)
      std::cerr << "corostack: warning: " << escape_for_terminal(w) << '\n';
    if (!snap->python || !snap->asyncio)
      return report_error(Error{ErrorKind::kNotFound,
                                "not a Python process (or its interpreter "
                                "could not be found)"});
    // asyncio does not exist before Python 3.4 (a fact of the language, not of a layout).
    if (snap->python->version.rfind("2.", 0) == 0)
      return report_error(Error{ErrorKind::kUnsupported,
                                "Python " + snap->python->version +
                                    " has no asyncio: no tasks to list (asyncio tasks are read "
                                    "on CPython 3.8 and newer)"});
    const asyncio::AsyncioState& s = *snap->asyncio;
    if (!s.imported && s.errors.empty())
      std::cerr << "corostack: asyncio is not imported in this process: no tasks\n";

    int rc = snap->complete() ? kExitComplete : kExitPartial;
    if (json_) {
      render_tasks_json(*snap, std::cout);
    } else if (tree_) {
      if (!render_tasks_tree(*snap, std::cout)) {
        std::cout.flush();
        std::cerr << "ERROR: await-graph contains cycles - cannot print a tree!\n\n";
        for (const std::string& c : describe_cycles(*snap)) std::cerr << c << '\n';
        rc = kExitPartial;
      } else {
        render_unawaited(*snap, std::cout);
      }
    } else {
      render_tasks_table(*snap, std::cout);
      render_unawaited(*snap, std::cout);
    }
    std::cout.flush();
    // Everything that makes the result partial (exit 1) is said on stderr,
    // as dump does: a thread that exited during the pause of a churning
    // target left only a thread error, and exit 1 came with no word.
    if (snap->python) {
      for (const std::string& e : snap->python->errors)
        std::cerr << "corostack: Python: " << escape_for_terminal(e) << '\n';
    }
    for (const ThreadSnapshot& t : snap->threads)
      for (const std::string& e : t.errors)
        std::cerr << "corostack: thread " << t.tid << ": " << escape_for_terminal(e) << '\n';
    for (const std::string& e : s.errors)
      std::cerr << "corostack: asyncio: " << escape_for_terminal(e) << '\n';
    for (const asyncio::AsyncTask& t : s.tasks)
      for (const std::string& e : t.errors)
        std::cerr << "corostack: task " << escape_for_terminal(t.name, 256) << ": "
                  << escape_for_terminal(e) << '\n';
    return rc;
  }

 private:
  CLI::App* cmd_;
  TargetOptions target_;
  bool tree_ = false;
  bool json_ = false;
  bool stop_all_ = false;
  bool no_unawaited_ = false;
};

}  // namespace

std::unique_ptr<Command> make_tasks_command(CLI::App& app) {
  return std::make_unique<TasksCommand>(app);
}

}  // namespace corostack
