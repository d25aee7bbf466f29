#pragma once
// The "which process" options shared by commands: -p PID | --core FILE [--exe PATH].
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "base/result.hpp"
#include "target/sandbox.hpp"
#include "target/target.hpp"

namespace corostack {

struct TargetOptions {
  int pid = 0;
  std::string core;
  std::string exe;
};

// Adds -p/--pid, --core and --exe to `cmd`, exactly one of -p and --core required.
void add_target_options(CLI::App& cmd, TargetOptions& opts, bool allow_core = true);

// Enters the analysis sandbox (target/sandbox.hpp), allowing signals to
// `child` if any; says on stderr when the kernel refused it.
void enter_sandbox_or_warn(pid_t child = 0);
void enter_sandbox_or_warn(const SandboxOptions& options);

// Enters the sandbox, then opens the live process or core the options name.
// `reads_dwarf`: the command loads DWARF (native frames with lines, coroutine
// layouts), so the debug cache's writer is started first; commands that do
// not (tasks, --no-lines) skip its fork, about half a millisecond.
Result<std::unique_ptr<Target>> open_target(const TargetOptions& opts, bool reads_dwarf = false);

// Prints "corostack: <message>" to stderr and returns the exit code for the error.
int report_error(const Error& e);

}  // namespace corostack
