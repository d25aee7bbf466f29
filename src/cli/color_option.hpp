#pragma once
// --color auto|always|never, as other tools have it: auto colours a terminal
// unless NO_COLOR is set (no-color.org); always and never are what they say.
#include <CLI/CLI.hpp>
#include <string>

namespace corostack {

void add_color_option(CLI::App& cmd, std::string& mode);

// Whether to colour stdout for this --color value.
bool use_color(const std::string& mode);

}  // namespace corostack
