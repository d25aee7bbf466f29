// End-to-end (issue 19): what `cmake --install` and `make package` deliver.
// The install tree holds the binary, a man page per command and completions
// for bash, zsh and fish; every page renders with `man -l` without warnings
// and documents every option --help lists; the bash completion completes
// commands, flags, formats and pids; zsh and fish accept their files; the
// .deb holds the same files, depends on what dpkg-shlibdeps found, and has no
// lintian errors. Tools missing from the machine are skipped loudly.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "native_target.hpp"
#include "paths.hpp"
#include "run_command.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kCommands = {"dump",   "gcore", "tasks", "coro",
                                            "record", "top",   "trace", "doctor"};

bool have(const std::string& tool) {
  return run_command({"sh", "-c", "command -v " + tool}).ok();
}

// The long options --help lists for a command: the "--name" words of its
// option lines (prose and "Excludes: --pid" notes are not option lines).
std::vector<std::string> help_long_options(const std::string& command) {
  auto help = run_command({paths::kCorostack, command, "--help"});
  std::vector<std::string> out;
  static const std::regex kOptionLine(R"(^  +(?:-[A-Za-z], *)?(--[a-z][a-z0-9-]*)(?:[ ,=]|$))");
  std::istringstream in(help.out);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, kOptionLine) &&
        std::find(out.begin(), out.end(), m[1].str()) == out.end())
      out.push_back(m[1].str());
  }
  return out;
}

class InstallTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    prefix_ = new TempDir();
    install_ = run_command(
        {"cmake", "--install", COROSTACK_BUILD_DIR, "--prefix", prefix_->path().string()});
  }
  static void TearDownTestSuite() { delete prefix_; }
  void SetUp() override { ASSERT_TRUE(install_.ok()) << install_.describe(); }
  static fs::path root() { return prefix_->path(); }

  static inline TempDir* prefix_ = nullptr;
  static inline CommandResult install_;
};

TEST_F(InstallTest, TreeHoldsBinaryManPagesAndCompletions) {
  EXPECT_TRUE(fs::exists(root() / "bin/corostack"));
  EXPECT_TRUE(run_command({(root() / "bin/corostack").string(), "--version"}).ok());
  EXPECT_TRUE(fs::exists(root() / "share/man/man1/corostack.1.gz"));
  for (const std::string& c : kCommands)
    EXPECT_TRUE(fs::exists(root() / ("share/man/man1/corostack-" + c + ".1.gz"))) << c;
  EXPECT_TRUE(fs::exists(root() / "share/bash-completion/completions/corostack"));
  EXPECT_TRUE(fs::exists(root() / "share/zsh/vendor-completions/_corostack"));
  EXPECT_TRUE(fs::exists(root() / "share/fish/vendor_completions.d/corostack.fish"));
  EXPECT_TRUE(fs::exists(root() / "share/doc/corostack/copyright"));
}

TEST_F(InstallTest, EveryManPageRendersAndDocumentsEveryOption) {
  if (!have("man")) GTEST_SKIP() << "[ SKIPPED LOUDLY ] man (man-db) is not installed";
  std::vector<std::string> pages{"corostack"};
  for (const std::string& c : kCommands) pages.push_back("corostack-" + c);
  for (const std::string& page : pages) {
    fs::path file = root() / ("share/man/man1/" + page + ".1.gz");
    auto r = run_command(
        {"env", "MANWIDTH=100", "LC_ALL=C.UTF-8", "man", "--warnings", "-l", file.string()});
    SCOPED_TRACE(r.describe());
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.err, "") << "groff warnings";
    EXPECT_NE(r.out.find("NAME"), std::string::npos);
    EXPECT_NE(r.out.find("EXIT STATUS"), std::string::npos);
    if (page == "corostack") {
      for (const std::string& c : kCommands)
        EXPECT_NE(r.out.find("corostack-" + c + "(1)"), std::string::npos) << c;
      continue;
    }
    std::string command = page.substr(10);
    EXPECT_NE(r.out.find("EXAMPLES"), std::string::npos);
    EXPECT_NE(r.out.find("corostack " + command + " "), std::string::npos);
    for (const std::string& opt : help_long_options(command)) {
      if (opt != "--help") {
        EXPECT_NE(r.out.find(opt), std::string::npos) << page << " lacks " << opt;
      }
    }
  }
}

std::vector<std::string> complete(const fs::path& script, const std::vector<std::string>& words) {
  std::string array;
  for (const std::string& w : words) array += " '" + w + "'";
  auto r = run_command({"bash", "-c",
                        "source '" + script.string() + "'; COMP_WORDS=(" + array +
                            "); COMP_CWORD=" + std::to_string(words.size() - 1) +
                            "; _corostack; printf '%s\\n' \"${COMPREPLY[@]}\""});
  std::vector<std::string> out;
  std::string line;
  std::istringstream in(r.out);
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST_F(InstallTest, BashCompletesCommandsFlagsFormatsAndPids) {
  fs::path script = root() / "share/bash-completion/completions/corostack";
  auto commands = complete(script, {"corostack", ""});
  for (const std::string& c : kCommands) EXPECT_TRUE(contains(commands, c)) << c;
  auto d = complete(script, {"corostack", "d"});
  EXPECT_TRUE(contains(d, "dump") && contains(d, "doctor") && d.size() == 2);
  for (const std::string& command : kCommands) {
    auto flags = complete(script, {"corostack", command, "--"});
    for (const std::string& opt : help_long_options(command))
      EXPECT_TRUE(contains(flags, opt)) << command << " " << opt;
  }
  auto formats = complete(script, {"corostack", "record", "-f", ""});
  for (const char* f : {"flamegraph", "folded", "speedscope", "pprof", "chrometrace"})
    EXPECT_TRUE(contains(formats, f)) << f;
  // -p offers the pids of processes we may inspect, a live target among them.
  TempDir dir;
  std::unique_ptr<TargetProcess> target;
  Truth truth;
  ASSERT_TRUE(start_blocked(paths::kNativeThreadsO0, native_threads_args(), dir, &target, &truth));
  auto pids = complete(script, {"corostack", "dump", "-p", ""});
  EXPECT_TRUE(contains(pids, std::to_string(target->pid())));
}

TEST_F(InstallTest, ZshAndFishAcceptTheirCompletions) {
  if (have("zsh")) {
    auto r =
        run_command({"zsh", "-n", (root() / "share/zsh/vendor-completions/_corostack").string()});
    EXPECT_TRUE(r.ok()) << r.describe();
  } else {
    std::cout << "[ SKIPPED LOUDLY ] zsh is not installed\n";
  }
  if (have("fish")) {
    fs::path f = root() / "share/fish/vendor_completions.d/corostack.fish";
    auto r = run_command({"fish", "-n", f.string()});
    EXPECT_TRUE(r.ok()) << r.describe();
    // And fish offers the commands from it.
    auto c = run_command({"fish", "-c", "source " + f.string() + "; complete -C 'corostack '"});
    for (const std::string& cmd : kCommands) EXPECT_NE(c.out.find(cmd), std::string::npos) << cmd;
  } else {
    std::cout << "[ SKIPPED LOUDLY ] fish is not installed\n";
  }
}

TEST(PackageTest, DebHoldsTheToolAndPassesLintian) {
  TempDir out;
  auto pack = run_command(
      {"cpack", "-G", "DEB", "--config", std::string(COROSTACK_BUILD_DIR) + "/CPackConfig.cmake",
       "-B", out.path().string()},
      std::chrono::seconds(300));
  ASSERT_TRUE(pack.ok()) << pack.describe();
  fs::path deb;
  for (const auto& e : fs::directory_iterator(out.path()))
    if (e.path().extension() == ".deb") deb = e.path();
  ASSERT_FALSE(deb.empty()) << pack.out;
  auto contents = run_command({"dpkg-deb", "-c", deb.string()});
  ASSERT_TRUE(contents.ok()) << contents.describe();
  for (const char* f : {"./usr/bin/corostack", "./usr/share/man/man1/corostack.1.gz",
                        "./usr/share/man/man1/corostack-dump.1.gz",
                        "./usr/share/bash-completion/completions/corostack",
                        "./usr/share/zsh/vendor-completions/_corostack",
                        "./usr/share/fish/vendor_completions.d/corostack.fish",
                        "./usr/share/doc/corostack/copyright"})
    EXPECT_NE(contents.out.find(f), std::string::npos) << f << "\n" << contents.out;
  auto depends = run_command({"dpkg-deb", "-f", deb.string(), "Depends"});
  EXPECT_NE(depends.out.find("libdw1"), std::string::npos) << depends.out;
  EXPECT_NE(depends.out.find("libc6"), std::string::npos) << depends.out;
  if (!have("lintian")) GTEST_SKIP() << "[ SKIPPED LOUDLY ] lintian is not installed";
  auto lint =
      run_command({"lintian", "--tag-display-limit", "0", deb.string()}, std::chrono::seconds(300));
  std::string errors;
  std::istringstream in(lint.out);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("E: ", 0) == 0) errors += line + "\n";
  EXPECT_EQ(errors, "") << lint.out << lint.err;
}

}  // namespace
}  // namespace e2e
