#include "cli/command.hpp"
#include "cli/exit_codes.hpp"

namespace corostack {
namespace {
class GcoreCommand final : public Command {
 public:
  explicit GcoreCommand(CLI::App& app) {
    app.add_subcommand("gcore", "Write a core file of a live process");
  }
  int run() override { return kExitFatal; }
};
}  // namespace
std::unique_ptr<Command> make_gcore_command(CLI::App& app) {
  return std::make_unique<GcoreCommand>(app);
}
}  // namespace corostack
