// Cores written by real tools (gdb's gcore, the kernel) of a real process.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "elf_test_util.hpp"
#include "target/core_file.hpp"

namespace corostack {
namespace {

using testing::Bytes;
using testing::TempDir;

std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// /bin/sleep in its own process group; killed and reaped when it goes out of scope.
class SleepingChild {
 public:
  // `cwd` and `allow_core` prepare the child for a kernel core dump.
  explicit SleepingChild(const std::string& cwd = "", bool allow_core = false) {
    const char* dir = cwd.empty() ? nullptr : cwd.c_str();
    pid_ = ::fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and exec.
      ::setpgid(0, 0);
      if (dir && ::chdir(dir) != 0) ::_exit(126);
      if (allow_core) {
        rlimit lim{RLIM_INFINITY, RLIM_INFINITY};
        if (::setrlimit(RLIMIT_CORE, &lim) != 0) {
          ::getrlimit(RLIMIT_CORE, &lim);
          lim.rlim_cur = lim.rlim_max;
          ::setrlimit(RLIMIT_CORE, &lim);
        }
      }
      ::execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~SleepingChild() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  SleepingChild(const SleepingChild&) = delete;
  SleepingChild& operator=(const SleepingChild&) = delete;

  pid_t pid() const { return pid_; }

  // True once the child runs /bin/sleep (not our forked copy).
  bool wait_until_sleeping() const {
    std::string exe = "/proc/" + std::to_string(pid_) + "/exe";
    for (int i = 0; i < 500; ++i) {
      char buf[4096];
      ssize_t n = ::readlink(exe.c_str(), buf, sizeof buf);
      if (n > 0 && std::string(buf, size_t(n)).ends_with("sleep")) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let ld.so finish
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  // Sends `sig` and reaps the child; returns its wait status.
  int kill_and_reap(int sig) {
    int status = 0;
    ::kill(pid_, sig);
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
    return status;
  }

 private:
  pid_t pid_ = -1;
};

const MemoryMap* first_mapping_of(const CoreFile& core, const std::string& path) {
  for (const MemoryMap& m : core.maps())
    if (m.path == path && m.file_offset == 0) return &m;
  return nullptr;
}

// What any core of /bin/sleep must satisfy.
void check_sleep_core(const CoreFile& core, pid_t pid) {
  EXPECT_EQ(core.pid(), pid);
  EXPECT_EQ(core.command_name(), "sleep");
  ASSERT_GE(core.threads().size(), 1u);
  const ThreadState& main = core.threads()[0];
  EXPECT_EQ(main.tid, pid);
  EXPECT_TRUE(main.regs_valid);
  const MemoryMap* code = find_map(core.maps(), RemoteAddr(main.regs.rip));
  ASSERT_NE(code, nullptr) << std::hex << "rip 0x" << main.regs.rip << " is in no mapping";
  EXPECT_TRUE(code->executable) << code->path;
  // Code is rarely in the core: these bytes come from the file on disk.
  Bytes insn(16);
  EXPECT_EQ(core.read(RemoteAddr(main.regs.rip), insn).bytes, insn.size()) << code->path;
  EXPECT_NE(find_map(core.maps(), RemoteAddr(main.regs.rsp)), nullptr);
  Bytes stack(64);
  EXPECT_EQ(core.read(RemoteAddr(main.regs.rsp), stack).bytes, stack.size());

  EXPECT_TRUE(core.exe_path().ends_with("sleep")) << core.exe_path();
  const MemoryMap* exe = first_mapping_of(core, core.exe_path());
  ASSERT_NE(exe, nullptr);
  char magic[4] = {};
  ASSERT_EQ(core.read(exe->start, std::as_writable_bytes(std::span(magic))).bytes, 4u);
  EXPECT_EQ(std::string(magic, 4),
            "\x7f"
            "ELF");
  bool has_auxv_entry = false;
  for (const AuxvEntry& e : core.auxv()) has_auxv_entry |= e.type == AT_ENTRY;
  EXPECT_TRUE(has_auxv_entry);
  // The files on disk are the ones that were mapped a moment ago.
  EXPECT_TRUE(core.warnings().empty()) << ::testing::PrintToString(core.warnings());
}

TEST(RealCore, GdbGcoreOfASleepingProcess) {
  std::string gdb = find_program("gdb");
  if (gdb.empty())
    GTEST_SKIP() << "******** gdb is not installed: the gcore test is SKIPPED ********";
  TempDir dir;
  SleepingChild child;
  ASSERT_TRUE(child.wait_until_sleeping());
  std::string core_path = dir.file("sleep.core");
  std::string log = dir.file("gdb.log");
  std::string cmd = "timeout 120 " + gdb + " -batch -nx -p " + std::to_string(child.pid()) +
                    " -ex 'gcore " + core_path + "' >" + log + " 2>&1 </dev/null";
  int rc = std::system(cmd.c_str());
  std::string out = slurp(log);
  if (out.find("ptrace: Operation not permitted") != std::string::npos)
    GTEST_SKIP() << "******** gdb may not attach here (ptrace denied): SKIPPED ********\n" << out;
  ASSERT_EQ(rc, 0) << out;

  // Compare code bytes served from disk with the live process's own.
  auto core = CoreFile::open(core_path);
  ASSERT_TRUE(core.ok()) << core.error().message;
  check_sleep_core(**core, child.pid());
  uint64_t rip = (*core)->threads()[0].regs.rip;
  Bytes live(16), from_core(16);
  iovec local{live.data(), live.size()}, remote{reinterpret_cast<void*>(rip), live.size()};
  ASSERT_EQ(::process_vm_readv(child.pid(), &local, 1, &remote, 1, 0), 16);
  ASSERT_EQ((*core)->read(RemoteAddr(rip), from_core).bytes, 16u);
  EXPECT_EQ(from_core, live);
  EXPECT_EQ((*core)->fatal_signal(), std::nullopt);  // gdb records its SIGSTOP, not a crash
}

TEST(RealCore, KernelCoreOfACrashedProcess) {
  std::string pattern = slurp("/proc/sys/kernel/core_pattern");
  if (pattern.empty() || pattern[0] == '|' || pattern.find('/') != std::string::npos)
    GTEST_SKIP() << "******** core_pattern \"" << pattern
                 << "\" does not write cores to the process's directory: SKIPPED ********";
  TempDir dir;
  SleepingChild child(dir.path(), true);
  ASSERT_TRUE(child.wait_until_sleeping());
  pid_t pid = child.pid();
  int status = child.kill_and_reap(SIGSEGV);
  ASSERT_TRUE(WIFSIGNALED(status));
  if (!WCOREDUMP(status))
    GTEST_SKIP()
        << "******** the kernel wrote no core (RLIMIT_CORE hard limit 0?): SKIPPED ********";
  std::string core_path;
  if (DIR* d = ::opendir(dir.path().c_str())) {
    while (dirent* e = ::readdir(d))
      if (std::string(e->d_name).starts_with("core")) core_path = dir.file(e->d_name);
    ::closedir(d);
  }
  ASSERT_FALSE(core_path.empty()) << "WCOREDUMP set but no core file in " << dir.path();
  auto core = CoreFile::open(core_path);
  ASSERT_TRUE(core.ok()) << core.error().message;
  check_sleep_core(**core, pid);
  EXPECT_EQ((*core)->fatal_signal(), SIGSEGV);
}

}  // namespace
}  // namespace corostack
