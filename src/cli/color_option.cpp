#include "cli/color_option.hpp"

#include <unistd.h>

#include <cstdlib>

namespace corostack {

void add_color_option(CLI::App& cmd, std::string& mode) {
  mode = "auto";
  cmd.add_option("--color", mode,
                 "Colour the text output: auto (a terminal, unless NO_COLOR is set), always, "
                 "never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
}

bool use_color(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  return ::isatty(STDOUT_FILENO) == 1 && !(no_color && *no_color);
}

}  // namespace corostack
