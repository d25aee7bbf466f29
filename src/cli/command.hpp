#pragma once
// A subcommand: registers its options on a CLI11 subcommand, then runs and
// returns an exit code. main() is the only place that exits.
#include <CLI/CLI.hpp>
#include <memory>

namespace corostack {

class Command {
 public:
  virtual ~Command() = default;
  virtual int run() = 0;
};

std::unique_ptr<Command> make_dump_command(CLI::App& app);
std::unique_ptr<Command> make_gcore_command(CLI::App& app);
std::unique_ptr<Command> make_tasks_command(CLI::App& app);
std::unique_ptr<Command> make_coro_command(CLI::App& app);
std::unique_ptr<Command> make_record_command(CLI::App& app);
std::unique_ptr<Command> make_top_command(CLI::App& app);
std::unique_ptr<Command> make_trace_command(CLI::App& app);
std::unique_ptr<Command> make_doctor_command(CLI::App& app);

}  // namespace corostack
