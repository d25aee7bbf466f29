#include "corostack.hpp"

#include "function_names.hpp"
#include "paths.hpp"

namespace e2e {

CommandResult run_corostack(const std::vector<std::string>& args) {
  std::vector<std::string> argv{paths::kCorostack};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, std::chrono::seconds(60));
}

JsonRun run_corostack_json(const std::vector<std::string>& args) {
  JsonRun run;
  run.cmd = run_corostack(args);
  try {
    run.json = nlohmann::json::parse(run.cmd.out);
  } catch (const nlohmann::json::exception& e) {
    run.json = nlohmann::json::value_t::discarded;
    run.parse_error = e.what();
  }
  return run;
}

const nlohmann::json* find_thread(const nlohmann::json& dump, pid_t tid) {
  if (!dump.contains("threads") || !dump["threads"].is_array()) return nullptr;
  for (const nlohmann::json& t : dump["threads"])
    if (t.value("tid", 0) == tid) return &t;
  return nullptr;
}

std::vector<std::string> frame_functions(const nlohmann::json& thread, bool physical_only) {
  std::vector<std::string> names;
  if (!thread.contains("frames") || !thread["frames"].is_array()) return names;
  for (const nlohmann::json& f : thread["frames"]) {
    if (physical_only && f.value("inlined", false)) continue;
    const nlohmann::json& fn = f.contains("function") ? f["function"] : nlohmann::json();
    names.push_back(fn.is_string() ? strip_arguments(fn.get<std::string>()) : "??");
  }
  return names;
}

}  // namespace e2e
