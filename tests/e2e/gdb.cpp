#include "gdb.hpp"

#include <regex>
#include <sstream>

#include "function_names.hpp"

namespace e2e {
namespace {

// Options for every gdb run: no ~/.gdbinit, and no debuginfod downloads,
// which would stall the test or ask a question.
std::vector<std::string> gdb_base() {
  return {"gdb", "-batch", "-nx", "-iex", "set debuginfod enabled off"};
}

// "f<a, b> (...) at x.c:3" -> "f<a, b>": the name ends at the first " ("
// outside brackets; "(anonymous namespace)::g ()" has its '(' first.
std::string frame_function(const std::string& rest) {
  int depth = 0;
  for (size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    if (c == '(' && i > 0 && rest[i - 1] == ' ' && depth == 0) return rest.substr(0, i - 1);
    if (c == '(' || c == '<') ++depth;
    if ((c == ')' || c == '>') && depth > 0) --depth;
  }
  return rest;
}

}  // namespace

CommandResult gdb_gcore(pid_t pid, const std::filesystem::path& core) {
  std::vector<std::string> argv = gdb_base();
  argv.insert(argv.end(), {"-p", std::to_string(pid), "-ex", "gcore " + core.string()});
  return run_command(argv, std::chrono::seconds(120));
}

CommandResult gdb_backtraces(const std::string& exe, const std::filesystem::path& core) {
  std::vector<std::string> argv = gdb_base();
  // past-main: corostack shows the frames outside main too (__libc_start_main, _start).
  argv.insert(argv.end(),
              {"-ex", "set print frame-arguments none", "-ex", "set backtrace past-main on", "-ex",
               "thread apply all bt", exe, core.string()});
  return run_command(argv, std::chrono::seconds(120));
}

std::vector<GdbThread> parse_gdb_backtraces(const std::string& text) {
  static const std::regex header(R"(^Thread \d+ \((?:.*\()?LWP (\d+)\).*:\s*$)");
  static const std::regex frame(R"(^#(\d+)\s+(0x[0-9a-fA-F]+ in )?(.*)$)");
  std::vector<GdbThread> threads;
  std::stringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, header)) {
      threads.push_back({static_cast<pid_t>(std::stol(m[1])), {}});
    } else if (!threads.empty() && std::regex_match(line, m, frame)) {
      GdbFrame f;
      f.index = std::stoi(m[1]);
      f.has_address = m[2].matched;
      f.function = strip_arguments(frame_function(m[3]));
      threads.back().frames.push_back(f);
    }
  }
  return threads;
}

std::vector<std::string> all_functions(const GdbThread& thread) {
  std::vector<std::string> names;
  for (const GdbFrame& f : thread.frames) names.push_back(f.function);
  return names;
}

std::vector<std::string> physical_functions(const GdbThread& thread) {
  std::vector<std::string> names;
  for (const GdbFrame& f : thread.frames) {
    bool starts_group = f.index == 0 || f.has_address;
    if (starts_group || names.empty()) {
      names.push_back(f.function);
    } else {
      names.back() = f.function;  // an outer frame at the same pc owns it
    }
  }
  return names;
}

}  // namespace e2e
