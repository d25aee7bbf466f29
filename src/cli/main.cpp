// corostack: see what every thread of a live process or a core is doing.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/command.hpp"
#include "cli/docgen.hpp"
#include "cli/exit_codes.hpp"
#include "target/caller_identity.hpp"

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
  auto add = [&](std::unique_ptr<Command> (*make)(CLI::App&)) {
    size_t before = app.get_subcommands({}).size();
    auto c = make(app);
    commands.emplace_back(app.get_subcommands({})[before], std::move(c));
  };
  add(make_dump_command);
  add(make_gcore_command);
  add(make_tasks_command);
  add(make_coro_command);
  add(make_record_command);
  add(make_top_command);
  add(make_trace_command);
  add(make_doctor_command);
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
