#pragma once
// Runs the corostack binary under test and reads its `dump --json` output
// (docs/json-schema.md).
#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run_command.hpp"

namespace e2e {

struct JsonRun {
  CommandResult cmd;
  nlohmann::json json;      // discarded (is_discarded()) when stdout is not JSON
  std::string parse_error;  // why, when it is not
};

// `corostack ARGS...`, stdout parsed as JSON.
JsonRun run_corostack_json(const std::vector<std::string>& args);

// `corostack ARGS...` for commands without JSON output (e.g. gcore).
CommandResult run_corostack(const std::vector<std::string>& args);

// The thread with this tid in a dump, or nullptr.
const nlohmann::json* find_thread(const nlohmann::json& dump, pid_t tid);

// Function names of a thread's frames with arguments stripped, innermost
// first; "??" for frames without a symbol. With physical_only, frames marked
// inlined are left out.
std::vector<std::string> frame_functions(const nlohmann::json& thread, bool physical_only = false);

}  // namespace e2e
