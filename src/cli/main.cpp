// corostack: see what every thread of a live process or a core is doing.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string_view>

#include "cli/command.hpp"
#include "cli/docgen.hpp"
#include "cli/exit_codes.hpp"
#include "target/caller_identity.hpp"

namespace {

struct CommandEntry {
  const char* name;
  std::unique_ptr<corostack::Command> (*make)(CLI::App&);
};

// In the order --help lists them.
constexpr CommandEntry kCommandEntries[] = {
    {"dump", corostack::make_dump_command},     {"gcore", corostack::make_gcore_command},
    {"tasks", corostack::make_tasks_command},   {"coro", corostack::make_coro_command},
    {"record", corostack::make_record_command}, {"top", corostack::make_top_command},
    {"trace", corostack::make_trace_command},   {"doctor", corostack::make_doctor_command},
};

bool names_command(int argc, char** argv, std::string_view name) {
  for (int i = 1; i < argc; ++i)
    if (name == argv[i]) return true;
  return false;
}

bool wants_every_command(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help" || a == corostack::kGenerateDocsOption) return true;
  }
  for (const CommandEntry& entry : kCommandEntries)
    if (names_command(argc, argv, entry.name)) return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace corostack;
  // Before anything is opened: a privileged binary becomes its caller
  // (target/caller_identity.hpp), or does not run at all.
  if (auto st = enter_caller_identity(); !st) {
    std::cerr << "corostack: " << st.error().message << '\n';
    return kExitFatal;
  }
  // Named, so --help says "corostack" however it was invoked (not build/src/corostack).
  CLI::App app{"corostack: what every thread of a running process or a core file is doing",
               "corostack"};
  app.set_version_flag("--version", std::string("corostack ") + COROSTACK_VERSION);
  app.require_subcommand(1);
  app.footer(kExitCodesHelp);
  std::vector<std::pair<CLI::App*, std::unique_ptr<Command>>> commands;
  // Registering a command's options is most of what corostack does before
  // its real work (CLI11 checks each new option against all the others), so
  // only the commands named on the command line are registered: the
  // subcommand CLI11 selects is always one whose name is there. Help and
  // docs, and a command line naming none, get all of them.
  const bool every_command = wants_every_command(argc, argv);
  for (const CommandEntry& entry : kCommandEntries) {
    if (!every_command && !names_command(argc, argv, entry.name)) continue;
    size_t before = app.get_subcommands({}).size();
    auto c = entry.make(app);
    commands.emplace_back(app.get_subcommands({})[before], std::move(c));
  }
  // Build step, not in --help: man pages and completions from these very
  // definitions (cli/docgen.hpp).
  if (argc == 3 && std::string(argv[1]) == kGenerateDocsOption)
    return generate_docs(app, argv[2]) ? kExitComplete : kExitFatal;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);  // prints help/version/usage error
    return rc == 0 ? kExitComplete : kExitUsage;
  }
  try {
    for (auto& [sub, cmd] : commands)
      if (sub->parsed()) return cmd->run();
  } catch (const std::exception& e) {
    std::cerr << "corostack: internal error: " << e.what() << '\n';
    return kExitFatal;
  }
  return kExitUsage;
}
