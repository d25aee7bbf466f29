#include "cli/target_options.hpp"

#include <iostream>

#include "base/escape.hpp"
#include "cli/debug_cache_writer.hpp"
#include "cli/exit_codes.hpp"
#include "target/core_file.hpp"
#include "target/live_process.hpp"
#include "target/sandbox.hpp"

namespace corostack {

void add_target_options(CLI::App& cmd, TargetOptions& opts, bool allow_core) {
  auto* pid = cmd.add_option("-p,--pid", opts.pid, "Process id of a live process");
  if (!allow_core) {
    pid->required();
    return;
  }
  auto* core = cmd.add_option("--core", opts.core, "A core file to read instead of a live process");
  cmd.add_option("--exe", opts.exe,
                 "With --core: the executable that produced it, when not at its original path")
      ->needs(core);
  pid->excludes(core);
  cmd.callback([&cmd, &opts] {
    if (opts.pid == 0 && opts.core.empty())
      throw CLI::RequiredError(cmd.get_name() + ": one of -p PID or --core FILE");
  });
}

void enter_sandbox_or_warn(pid_t child) {
  SandboxOptions options;
  options.child = child;
  enter_sandbox_or_warn(options);
}

void enter_sandbox_or_warn(const SandboxOptions& options) {
  if (auto st = enter_analysis_sandbox(options); !st)
    std::cerr << "corostack: warning: " << escape_for_terminal(st.error().message) << '\n';
}

Result<std::unique_ptr<Target>> open_target(const TargetOptions& opts, bool reads_dwarf) {
  // Files are created only outside the sandbox: the debug cache's writer
  // is forked before it (cli/debug_cache_writer.hpp).
  if (reads_dwarf) start_debug_cache_writer();
  // Nothing of the target is parsed outside the sandbox (target/sandbox.hpp).
  enter_sandbox_or_warn();
  if (!opts.core.empty()) {
    auto core = CoreFile::open(opts.core, opts.exe);
    if (!core) return core.error();
    return std::unique_ptr<Target>(std::move(*core));
  }
  auto live = LiveProcess::open(opts.pid);
  if (!live) return live.error();
  return std::unique_ptr<Target>(std::move(*live));
}

int report_error(const Error& e) {
  std::cerr << "corostack: " << escape_for_terminal(e.message) << '\n';
  return e.kind == ErrorKind::kUsage ? kExitUsage : kExitFatal;
}

}  // namespace corostack
