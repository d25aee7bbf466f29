// End-to-end (issue 20): a copy of corostack with cap_sys_ptrace+ep, run as
// the unprivileged user nobody, inspects nobody's processes and refuses
// root's, for every command; files it writes are the caller's; the analysis
// sandbox is on while it reads a target. Needs root (to setcap and to run as
// nobody) and file capabilities on /tmp: skipped loudly otherwise.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "corostack.hpp"
#include "native_target.hpp"
#include "paths.hpp"
#include "run_command.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"
#include "truth.hpp"

namespace e2e {
namespace {

namespace fs = std::filesystem;
constexpr const char* kNobody = "65534";

std::vector<std::string> as_nobody(std::vector<std::string> argv) {
  std::vector<std::string> out{"/usr/bin/setpriv", std::string("--reuid=") + kNobody,
                               std::string("--regid=") + kNobody, "--clear-groups", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

size_t line_count(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n + (!s.empty() && s.back() != '\n');
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class PrivilegeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "[ SKIPPED LOUDLY ] needs root (setcap, setpriv)";
    // A world-traversable home for the capable copy, and a shared output
    // directory like /tmp.
    fs::permissions(dir_.path(), fs::perms(0755));
    shared_ = dir_ / "shared";
    fs::create_directory(shared_);
    fs::permissions(shared_, fs::perms(01777));
    capable_ = (dir_ / "corostack").string();
    fs::copy_file(paths::kCorostack, capable_);
    auto set = run_command({"setcap", "cap_sys_ptrace+ep", capable_});
    if (!set.ok())
      GTEST_SKIP() << "[ SKIPPED LOUDLY ] file capabilities unavailable: " << set.describe();
    auto check = run_command(as_nobody({capable_, "--version"}));
    if (!check.ok())
      GTEST_SKIP() << "[ SKIPPED LOUDLY ] cannot run the capable copy as nobody: "
                   << check.describe();
  }

  CommandResult run_as_nobody(std::vector<std::string> args) {
    args.insert(args.begin(), capable_);
    return run_command(as_nobody(args), std::chrono::seconds(60));
  }

  // native_threads as `user` (empty: root), ready and asleep.
  void start_native(const std::vector<std::string>& prefix) {
    fs::permissions(dir_.path(), fs::perms(0777));
    truth_path_ = dir_ / ("truth-" + std::to_string(serial_++));
    std::vector<std::string> argv = prefix;
    argv.push_back(paths::kNativeThreadsO0);
    argv.push_back("{ready_fd}");
    argv.push_back(truth_path_.string());
    for (const std::string& a : native_threads_args()) argv.push_back(a);
    target_ = std::make_unique<TargetProcess>(argv);
    ASSERT_TRUE(target_->wait_ready());
    truth_ = read_truth(truth_path_);
  }

  TempDir dir_;
  fs::path shared_;
  std::string capable_;
  fs::path truth_path_;
  int serial_ = 0;
  std::unique_ptr<TargetProcess> target_;
  Truth truth_;
};

TEST_F(PrivilegeTest, EveryCommandRefusesRootsProcessWithOneLine) {
  start_native({});
  std::string pid = std::to_string(target_->pid());
  fs::path core = shared_ / "root.core";
  const std::vector<std::vector<std::string>> commands = {
      {"dump", "-p", pid},
      {"dump", "-p", pid, "--json", "--native"},
      {"tasks", "-p", pid},
      {"coro", "-p", pid},
      {"doctor", "-p", pid},
      {"gcore", "-p", pid, "-o", core.string()},
      {"record", "-p", pid, "-d", "0.2", "--native", "-o", (shared_ / "p.svg").string()},
      {"top", "-p", pid},
      {"trace", "-p", pid, "-d", "0.2"},
      {"trace", "--backend", "ptrace", "-p", pid, "-c", "-d", "0.2"},
  };
  for (const auto& c : commands) {
    auto r = run_as_nobody(c);
    SCOPED_TRACE(r.describe());
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(line_count(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("refusing to inspect pid " + pid), std::string::npos);
    EXPECT_NE(r.err.find("runs as uid 0 and you are uid 65534"), std::string::npos);
    EXPECT_EQ(r.out, "");
  }
  EXPECT_FALSE(fs::exists(core));
  EXPECT_FALSE(fs::exists(shared_ / "p.svg"));
  EXPECT_TRUE(target_->wait_all_sleeping(std::chrono::seconds(5)));
}

TEST_F(PrivilegeTest, OwnProcessIsInspectedAndItsCoreIsTheCallers) {
  start_native(as_nobody({}));
  std::string pid = std::to_string(target_->pid());
  auto run = run_as_nobody({"dump", "-p", pid, "--json"});
  ASSERT_TRUE(run.ok()) << run.describe();
  auto dump = nlohmann::json::parse(run.out);
  ASSERT_EQ(dump["threads"].size(), truth_.threads.size());
  for (const TruthThread& t : truth_.threads) EXPECT_NE(find_thread(dump, t.tid), nullptr) << t.tid;

  fs::path core = shared_ / "own.core";
  auto g = run_as_nobody({"gcore", "-p", pid, "-o", core.string()});
  ASSERT_TRUE(g.ok()) << g.describe();
  struct stat st {};
  ASSERT_EQ(::stat(core.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_TRUE(target_->wait_all_sleeping(std::chrono::seconds(5)));
}

TEST_F(PrivilegeTest, RootProcessThatBecameNobodyWithoutExecIsRefused) {
  // setresuid without exec leaves the process non-dumpable: its memory may
  // still hold root's secrets.
  fs::permissions(dir_.path(), fs::perms(0777));
  TargetProcess target({"/usr/bin/python3", "-c",
                        "import os, sys, time\n"
                        "os.setgroups([]); os.setresgid(65534, 65534, 65534)\n"
                        "os.setresuid(65534, 65534, 65534)\n"
                        "os.write(int(sys.argv[1]), b'ready\\n')\n"
                        "time.sleep(600)\n",
                        "{ready_fd}"});
  ASSERT_TRUE(target.wait_ready());
  std::string pid = std::to_string(target.pid());
  for (const char* cmd : {"dump", "gcore", "tasks"}) {
    std::vector<std::string> args{cmd, "-p", pid};
    if (std::string(cmd) == "gcore") args.insert(args.end(), {"-o", (shared_ / "x.core").string()});
    auto r = run_as_nobody(args);
    SCOPED_TRACE(r.describe());
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(line_count(r.err), 1u);
    EXPECT_NE(r.err.find("not dumpable"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(shared_ / "x.core"));
}

TEST_F(PrivilegeTest, CommandsRunWithTheCallersRightsAndNoCapabilities) {
  auto r = run_as_nobody({"trace", "--backend", "ptrace", "-e", "trace=none", "--", "grep",
                          "^Cap\\|^Uid", "/proc/self/status"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find("CapPrm:\t0000000000000000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CapEff:\t0000000000000000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CapAmb:\t0000000000000000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Uid:\t65534\t65534\t65534\t65534"), std::string::npos) << r.out;
}

TEST_F(PrivilegeTest, RecordsCommandRunsWithoutCapabilitiesToo) {
  auto r = run_as_nobody({"record", "--native", "-d", "1", "-o", (shared_ / "cmd.svg").string(),
                          "--", "grep", "^Cap[PEA]", "/proc/self/status"});
  EXPECT_NE(r.out.find("CapPrm:\t0000000000000000"), std::string::npos) << r.describe() << r.out;
  EXPECT_NE(r.out.find("CapEff:\t0000000000000000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CapAmb:\t0000000000000000"), std::string::npos) << r.out;
}

// A core is opened with the caller's rights: root's 0600 core stays root's.
TEST_F(PrivilegeTest, RootsCoreIsNotReadable) {
  start_native({});
  fs::path core = dir_ / "root.core";
  auto g = run_command(
      {paths::kCorostack, "gcore", "-p", std::to_string(target_->pid()), "-o", core.string()});
  ASSERT_TRUE(g.ok()) << g.describe();
  auto r = run_as_nobody({"dump", "--core", core.string()});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("ermission denied"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

// The same rules for a setuid-root copy: it becomes its caller at start.
TEST_F(PrivilegeTest, SetuidRootCopyBecomesItsCaller) {
  std::string setuid_copy = (dir_ / "corostack-setuid").string();
  fs::copy_file(paths::kCorostack, setuid_copy);
  ASSERT_EQ(::chmod(setuid_copy.c_str(), 04755), 0);
  start_native({});
  std::string root_pid = std::to_string(target_->pid());
  struct statvfs fs_info {};
  if (::statvfs(setuid_copy.c_str(), &fs_info) == 0 && (fs_info.f_flag & ST_NOSUID))
    GTEST_SKIP() << "[ SKIPPED LOUDLY ] " << dir_.path() << " is on a nosuid file system";
  auto refused = run_command(as_nobody({setuid_copy, "dump", "-p", root_pid}));
  EXPECT_EQ(refused.exit_code, 2) << refused.describe();
  EXPECT_NE(refused.err.find("runs as uid 0 and you are uid 65534"), std::string::npos)
      << refused.err;
  // Its files are the caller's, and its commands run as the caller.
  fs::path core = shared_ / "setuid-own.core";
  std::vector<std::string> own_argv =
      as_nobody({paths::kNativeThreadsO0, "{ready_fd}", (dir_ / "own-truth").string()});
  for (const std::string& a : native_threads_args()) own_argv.push_back(a);
  TargetProcess own(own_argv);
  ASSERT_TRUE(own.wait_ready());
  auto g = run_command(
      as_nobody({setuid_copy, "gcore", "-p", std::to_string(own.pid()), "-o", core.string()}));
  ASSERT_TRUE(g.ok()) << g.describe();
  struct stat st {};
  ASSERT_EQ(::stat(core.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  auto cmd = run_command(as_nobody({setuid_copy, "trace", "-e", "trace=none", "--", "grep",
                                    "^Uid\\|^CapEff", "/proc/self/status"}));
  EXPECT_NE(cmd.out.find("Uid:\t65534\t65534\t65534\t65534"), std::string::npos) << cmd.describe();
  EXPECT_NE(cmd.out.find("CapEff:\t0000000000000000"), std::string::npos) << cmd.out;
}

TEST_F(PrivilegeTest, SecureModeIgnoresTestVariablesAndKeepsTheSandbox) {
  start_native(as_nobody({}));
  std::string pid = std::to_string(target_->pid());
  auto r = run_command({"env", "COROSTACK_TEST_SANDBOX_PROBE=1", "COROSTACK_NO_SANDBOX=1",
                        "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                        capable_, "dump", "-p", pid});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.err.find("sandbox probe"), std::string::npos) << r.err;
}

// As root: the sandbox is on while a target is read; what it refuses.
TEST_F(PrivilegeTest, SandboxRefusesExecSocketsAndWritesWhileAnalysing) {
  start_native({});
  std::string pid = std::to_string(target_->pid());
  auto r = run_command(
      {"env", "COROSTACK_TEST_SANDBOX_PROBE=1", paths::kCorostack, "dump", "-p", pid, "--json"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.err.find("sandbox probe: seccomp mode 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sandbox probe: execve refused (Operation not permitted)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("sandbox probe: socket refused"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sandbox probe: open-for-write refused"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sandbox probe: open-for-read allowed"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists("/tmp/corostack-sandbox-probe"));
  auto dump = nlohmann::json::parse(r.out);
  for (const TruthThread& t : truth_.threads) EXPECT_NE(find_thread(dump, t.tid), nullptr) << t.tid;
}

// gcore writes its core sandboxed (an unsandboxed helper renames it into
// place); trace reads its tracees sandboxed, with ptrace or in the kernel.
TEST_F(PrivilegeTest, GcoreAndTraceRunInsideTheSandbox) {
  start_native({});
  std::string pid = std::to_string(target_->pid());
  fs::path core = dir_ / "sandboxed.core";
  for (std::vector<std::string> args :
       {std::vector<std::string>{"gcore", "-p", pid, "-o", core.string()},
        std::vector<std::string>{"trace", "--backend", "ptrace", "-p", pid, "-d", "0.3"},
        std::vector<std::string>{"trace", "--backend", "ptrace", "--", "/bin/true"},
        std::vector<std::string>{"trace", "--backend", "bpf", "-p", pid, "-d", "0.3"},
        std::vector<std::string>{"trace", "--backend", "bpf", "-c", "-w", "-p", pid, "-d",
                                 "0.3"}}) {
    args.insert(args.begin(), {"env", "COROSTACK_TEST_SANDBOX_PROBE=1", paths::kCorostack});
    auto r = run_command(args);
    SCOPED_TRACE(r.describe());
    if (r.exit_code == 64 && r.err.find("--backend bpf:") != std::string::npos) {
      std::cout << "[ SKIPPED LOUDLY ] in-kernel tracing unavailable: " << r.err;
      continue;
    }
    EXPECT_TRUE(r.ok());
    EXPECT_NE(r.err.find("sandbox probe: seccomp mode 2"), std::string::npos);
    EXPECT_NE(r.err.find("sandbox probe: execve refused"), std::string::npos);
  }
  // The core the sandboxed writer made is whole: corostack reads the truth back.
  auto dump = run_corostack_json({"dump", "--json", "--core", core.string()});
  ASSERT_TRUE(dump.cmd.ok()) << dump.cmd.describe();
  for (const TruthThread& t : truth_.threads)
    EXPECT_NE(find_thread(dump.json, t.tid), nullptr) << t.tid;
  EXPECT_TRUE(target_->wait_all_sleeping(std::chrono::seconds(5)));
}

TEST_F(PrivilegeTest, RecordRunsInsideTheSandboxSeenFromOutside) {
  start_native({});
  fs::path out = dir_ / "p.folded";
  pid_t recorder = ::fork();
  ASSERT_GE(recorder, 0);
  if (recorder == 0) {
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execl(paths::kCorostack, paths::kCorostack, "record", "-p",
            std::to_string(target_->pid()).c_str(), "--native", "--idle", "-d", "3", "-f", "folded",
            "-o", out.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::string seccomp;
  for (int i = 0; i < 200 && seccomp.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::string status = read_all("/proc/" + std::to_string(recorder) + "/status");
    size_t p = status.find("\nSeccomp:\t");
    if (p != std::string::npos && status.compare(p + 10, 1, "2") == 0) seccomp = "2";
  }
  int st = 0;
  ASSERT_EQ(::waitpid(recorder, &st, 0), recorder);
  EXPECT_EQ(seccomp, "2") << "corostack record never showed Seccomp: 2 in /proc/PID/status";
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  // What it recorded in there is the target's own: every thread's outermost function.
  std::string folded = read_all(out);
  for (const TruthThread& t : truth_.threads)
    if (!t.chain.empty()) {
      EXPECT_NE(folded.find(t.chain.back()), std::string::npos) << t.chain.back();
    }
}

TEST_F(PrivilegeTest, OutputFilesAreNeverWrittenThroughAPlantedLink) {
  start_native({});
  std::string pid = std::to_string(target_->pid());
  fs::path victim = dir_ / "victim";
  std::ofstream(victim) << "precious";
  auto plant = [&](const std::string& name) {
    fs::path link = shared_ / name;
    fs::create_symlink(victim, link);
    EXPECT_EQ(::lchown(link.c_str(), 65534, 65534), 0);
    return link.string();
  };
  auto rec = run_command(
      {paths::kCorostack, "record", "-p", pid, "--native", "-d", "0.2", "-o", plant("trap.svg")});
  EXPECT_EQ(rec.exit_code, 2) << rec.describe();
  EXPECT_NE(rec.err.find("symbolic link another user made"), std::string::npos) << rec.err;
  auto tr =
      run_command({paths::kCorostack, "trace", "-p", pid, "-d", "0.2", "-o", plant("trap.trace")});
  EXPECT_EQ(tr.exit_code, 2) << tr.describe();
  // gcore renames a fresh 0600 file over the name: the link is replaced, not followed.
  fs::path core_link = plant("trap.core");
  auto gc = run_command({paths::kCorostack, "gcore", "-p", pid, "-o", core_link.string()});
  ASSERT_TRUE(gc.ok()) << gc.describe();
  EXPECT_FALSE(fs::is_symlink(core_link));
  struct stat st {};
  ASSERT_EQ(::stat(core_link.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(read_all(victim), "precious");
  EXPECT_TRUE(target_->wait_all_sleeping(std::chrono::seconds(5)));
}

}  // namespace
}  // namespace e2e
