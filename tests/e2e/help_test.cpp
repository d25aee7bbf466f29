// Every command's --help names the program `corostack` (not the path it was
// run by) and ends with examples; every example parses: run against a pid
// and a core that do not exist, it fails for that (exit 2), never as a usage
// error (64). --color always and never do what they say; auto colours a
// terminal only (NO_COLOR turns auto off: not testable without a terminal).
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "corostack.hpp"
#include "native_target.hpp"
#include "paths.hpp"

namespace e2e {
namespace {

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  std::string w;
  while (in >> w) {
    if (w == "#" || w[0] == '#') break;
    out.push_back(w);
  }
  return out;
}

TEST(Help, EveryCommandNamesItselfAndItsExamplesParse) {
  for (const char* cmd : {"dump", "gcore", "tasks", "coro", "record", "top", "trace", "doctor"}) {
    SCOPED_TRACE(cmd);
    CommandResult help = run_corostack({cmd, "--help"});
    ASSERT_EQ(help.exit_code, 0) << help.describe();
    EXPECT_NE(help.out.find(std::string("Usage: corostack ") + cmd), std::string::npos) << help.out;
    size_t ex = help.out.find("Examples:\n");
    ASSERT_NE(ex, std::string::npos) << help.out;
    std::istringstream lines(help.out.substr(ex));
    std::string line;
    int examples = 0;
    while (std::getline(lines, line)) {
      if (line.rfind("  corostack ", 0) != 0) continue;
      ++examples;
      std::vector<std::string> argv = words(line);
      if (std::find(argv.begin(), argv.end(), "--") != argv.end()) continue;  // would start it
      // A pid that cannot exist (above pid_max's ceiling), cores and files that do not.
      for (std::string& w : argv) {
        if (w == "1234") w = "4194305";
        if (w.rfind("core.", 0) == 0) w = "/nonexistent/" + w;
        if (w == "/usr/bin/app") w = "/nonexistent/app";
      }
      argv.erase(argv.begin());  // "corostack"
      CommandResult r = run_corostack(argv);
      EXPECT_NE(r.exit_code, 64) << line << "\n" << r.describe();
      EXPECT_EQ(r.exit_code, 2) << line << "\n" << r.describe();
    }
    EXPECT_GE(examples, 2) << help.out;
  }
}

TEST(Help, ColorAlwaysNeverAndAuto) {
  TempDir dir;
  std::unique_ptr<TargetProcess> target;
  Truth truth;
  ASSERT_TRUE(start_blocked(paths::kNativeThreadsO2, native_threads_args(), dir, &target, &truth));
  std::string pid = std::to_string(target->pid());
  for (const char* cmd : {"dump", "doctor"}) {
    SCOPED_TRACE(cmd);
    auto always = run_corostack({cmd, "-p", pid, "--color", "always"});
    EXPECT_NE(always.out.find("\x1b["), std::string::npos) << always.out.substr(0, 400);
    auto never = run_corostack({cmd, "-p", pid, "--color", "never"});
    EXPECT_EQ(never.out.find('\x1b'), std::string::npos);
    auto automatic = run_corostack({cmd, "-p", pid});  // stdout is a pipe here
    EXPECT_EQ(automatic.out.find('\x1b'), std::string::npos);
    auto bad = run_corostack({cmd, "-p", pid, "--color", "sometimes"});
    EXPECT_EQ(bad.exit_code, 64);
  }
}

}  // namespace
}  // namespace e2e
