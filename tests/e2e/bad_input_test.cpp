// Every bad input gets a clear one-line message on stderr and the documented
// exit code (2 fatal, 64 usage), and leaves nothing stopped.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "corostack.hpp"
#include "gdb.hpp"
#include "native_target.hpp"
#include "paths.hpp"
#include "run_command.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"
#include "truth.hpp"

namespace e2e {
namespace {

void expect_error(const CommandResult& r, int code, const std::string& needle) {
  EXPECT_EQ(r.exit_code, code) << r.describe();
  EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr lacks '" << needle << "': " << r.err;
  EXPECT_TRUE(r.out.empty()) << "stdout should carry results only: " << r.out;
  // One line, prefixed, so scripts and people can read it.
  EXPECT_EQ(r.err.rfind("corostack: ", 0), 0u) << r.err;
}

void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

// A minimal ELF64 header with the given class, machine and type.
std::string elf_header(unsigned char elf_class, uint16_t machine, uint16_t type) {
  std::string h(64, '\0');
  h[0] = 0x7f, h[1] = 'E', h[2] = 'L', h[3] = 'F', h[4] = static_cast<char>(elf_class), h[5] = 1,
  h[6] = 1;
  std::memcpy(&h[16], &type, 2);
  std::memcpy(&h[18], &machine, 2);
  return h;
}

pid_t free_pid() {
  // A pid that is not in use: beyond the kernel's pid_max.
  std::ifstream in("/proc/sys/kernel/pid_max");
  long max = 4194304;
  in >> max;
  return static_cast<pid_t>(max + 1 > 0x3fffffff ? 0x3fffffff : max + 1);
}

TEST(BadInput, NoSuchPid) {
  expect_error(run_corostack({"dump", "-p", std::to_string(free_pid())}), 2, "no such process");
}

TEST(BadInput, UsageErrors) {
  EXPECT_EQ(run_corostack({"dump"}).exit_code, 64);
  EXPECT_EQ(run_corostack({"dump", "-p", "1", "--core", "x"}).exit_code, 64);
  EXPECT_EQ(run_corostack({"dump", "--bogus"}).exit_code, 64);
  EXPECT_EQ(run_corostack({"frobnicate"}).exit_code, 64);
  CommandResult help = run_corostack({"dump", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Exit codes"), std::string::npos) << help.out;
}

TEST(BadInput, Zombie) {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  // Not reaped until the end of the test: a zombie.
  for (int i = 0; i < 1000; ++i) {
    std::ifstream in("/proc/" + std::to_string(child) + "/stat");
    std::string s;
    std::getline(in, s);
    if (s.find(") Z") != std::string::npos) break;
    ::usleep(1000);
  }
  expect_error(run_corostack({"dump", "-p", std::to_string(child)}), 2, "zombie");
  ::waitpid(child, nullptr, 0);
}

TEST(BadInput, KernelThread) {
  pid_t kthread = 0;
  for (const auto& ent : std::filesystem::directory_iterator("/proc")) {
    std::string name = ent.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(ent.path() / "stat");
    std::string s;
    std::getline(in, s);
    auto close = s.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(s.substr(close + 2));
    std::string f;
    unsigned long flags = 0;
    for (int i = 0; i < 7 && rest >> f; ++i)
      if (i == 6) flags = std::stoul(f);
    if (flags & 0x00200000) {
      kthread = std::stoi(name);
      break;
    }
  }
  if (!kthread) GTEST_SKIP() << "SKIPPED LOUDLY: no kernel thread visible in this pid namespace";
  expect_error(run_corostack({"dump", "-p", std::to_string(kthread)}), 2, "kernel thread");
}

TEST(BadInput, PermissionDenied) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "SKIPPED LOUDLY: needs root to run corostack as another user";
  TempDir dir;
  std::unique_ptr<TargetProcess> target;
  Truth truth;
  ASSERT_TRUE(start_blocked(paths::kNativeThreadsO0, native_threads_args(), dir, &target, &truth));
  // corostack as `nobody` against a root process.
  std::filesystem::path out = dir / "out", err = dir / "err";
  pid_t child = ::fork();
  if (child == 0) {
    // Open the output files while still root: nobody cannot write in our temp dir.
    std::FILE* o = std::freopen(out.c_str(), "w", stdout);
    std::FILE* e = std::freopen(err.c_str(), "w", stderr);
    (void)o, (void)e;
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(126);
    std::string pid = std::to_string(target->pid());
    ::execl(paths::kCorostack, paths::kCorostack, "dump", "-p", pid.c_str(), nullptr);
    ::_exit(127);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 126 || WEXITSTATUS(status) == 127)
    GTEST_SKIP() << "SKIPPED LOUDLY: could not run corostack as nobody (exit "
                 << WEXITSTATUS(status) << ")";
  std::ifstream ein(err);
  std::string msg((std::istreambuf_iterator<char>(ein)), {});
  EXPECT_EQ(WEXITSTATUS(status), 2) << msg;
  EXPECT_NE(msg.find("permission denied"), std::string::npos) << msg;
  EXPECT_NE(msg.find("CAP_SYS_PTRACE"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ptrace_scope"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--cap-add SYS_PTRACE"), std::string::npos) << msg;
  EXPECT_TRUE(target->wait_all_sleeping(std::chrono::seconds(5)));
}

TEST(BadInput, CoreFiles) {
  TempDir dir;
  expect_error(run_corostack({"dump", "--core", (dir / "missing").string()}), 2, "missing");
  write_file(dir / "empty", "");
  expect_error(run_corostack({"dump", "--core", (dir / "empty").string()}), 2, "truncated");
  write_file(dir / "text", "this is not an ELF file at all, just some text\n");
  expect_error(run_corostack({"dump", "--core", (dir / "text").string()}), 2, "not an ELF");
  write_file(dir / "short", elf_header(2, 62, 4).substr(0, 20));
  expect_error(run_corostack({"dump", "--core", (dir / "short").string()}), 2, "truncated");
  write_file(dir / "arm", elf_header(2, 183 /* EM_AARCH64 */, 4));
  expect_error(run_corostack({"dump", "--core", (dir / "arm").string()}), 2, "aarch64");
  write_file(dir / "i386", elf_header(1, 3 /* EM_386 */, 4));
  expect_error(run_corostack({"dump", "--core", (dir / "i386").string()}), 2, "32-bit");
  write_file(dir / "exec", elf_header(2, 62, 2 /* ET_EXEC */));
  expect_error(run_corostack({"dump", "--core", (dir / "exec").string()}), 2, "not a core");
}

TEST(BadInput, ExeDoesNotMatchCore) {
  TempDir dir;
  std::unique_ptr<TargetProcess> target;
  Truth truth;
  ASSERT_TRUE(start_blocked(paths::kNativeThreadsO0, native_threads_args(), dir, &target, &truth));
  std::string core = (dir / "ours.core").string();
  CommandResult g = run_corostack({"gcore", "-p", std::to_string(target->pid()), "-o", core});
  ASSERT_EQ(g.exit_code, 0) << g.describe();
  // The O2 build is a different binary with a different build-id.
  expect_error(run_corostack({"dump", "--core", core, "--exe", paths::kNativeThreadsO2}), 64,
               "does not match");
  expect_error(run_corostack({"dump", "--core", core, "--exe", (dir / "nope").string()}), 2,
               "nope");
  // The right one is accepted.
  EXPECT_EQ(run_corostack({"dump", "--core", core, "--exe", paths::kNativeThreadsO0}).exit_code, 0);
}

}  // namespace
}  // namespace e2e
