#pragma once
// Man pages and shell completions generated from the command-line definitions
// themselves, so they never drift from --help: the build runs
// `corostack --generate-docs DIR` (not shown in --help) and installs what it
// writes: man1/corostack.1 and man1/corostack-<command>.1, completions/
// corostack.bash, _corostack (zsh) and corostack.fish.
#include <CLI/CLI.hpp>
#include <string>

namespace corostack {

// The option main() recognises before parsing.
inline constexpr const char* kGenerateDocsOption = "--generate-docs";

// Writes every file under dir (created if missing); false with a message on stderr on failure.
bool generate_docs(const CLI::App& app, const std::string& dir);

// The pieces, for tests.
std::string man_page(const CLI::App& app, const CLI::App* command);  // command null: corostack(1)
std::string bash_completion(const CLI::App& app);
std::string zsh_completion(const CLI::App& app);
std::string fish_completion(const CLI::App& app);

}  // namespace corostack
