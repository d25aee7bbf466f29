// Cores of crashed processes (tests/targets/crasher.cpp): the kernel's core
// of a worker thread killed by SIGSEGV, a failed assert (SIGABRT), a stack
// overflow, SIGFPE and SIGBUS. `dump --core` says how the process died in its
// header; `doctor --core` reports it as a critical finding with the thread
// that received the signal and its frames. The truth is the target's own
// record of the crashing thread, signal, address and assert text.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "corostack.hpp"
#include "native_target.hpp"
#include "paths.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

struct CrashTruth {
  pid_t tid = 0;
  int signo = 0;
  std::string address;  // hex without 0x, or "-"
  std::string function;
  std::string assert_text;
};

CrashTruth read_crash_truth(const std::filesystem::path& path) {
  std::ifstream in(path);
  CrashTruth t;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string tag;
    f >> tag;
    if (tag == "crash") f >> t.tid >> t.signo >> t.address >> t.function;
    if (tag == "assert") t.assert_text = line.substr(7);
  }
  return t;
}

class DoctorCrashTest : public testing::TestWithParam<std::string> {};

TEST_P(DoctorCrashTest, CoreSaysHowItDied) {
  if (std::string why = kernel_core_unavailable(); !why.empty())
    GTEST_SKIP() << "kernel cores unavailable: " << why;
  const std::string mode = GetParam();
  TempDir dir;
  std::filesystem::path cwd = dir / "cwd";
  std::filesystem::create_directory(cwd);
  auto truth_path = dir / "truth";
  std::filesystem::path core;
  CrashTruth truth;
  {
    TargetProcess target({paths::kCrasher, "{ready_fd}", truth_path.string(), mode},
                         {cwd, /*unlimited_core=*/true});
    ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false));
    truth = read_crash_truth(truth_path);
    auto status = target.wait_exit(std::chrono::seconds(60));
    ASSERT_TRUE(status);
    ASSERT_TRUE(WIFSIGNALED(*status) && WCOREDUMP(*status)) << *status << target.output();
    EXPECT_EQ(WTERMSIG(*status), truth.signo);
    for (const auto& e : std::filesystem::directory_iterator(cwd))
      if (e.is_regular_file()) core = e.path();
    ASSERT_FALSE(core.empty()) << "no core in " << cwd;
  }

  // dump --core: the header and the JSON crash object.
  JsonRun dump = run_corostack_json({"dump", "--json", "--core", core.string()});
  ASSERT_FALSE(dump.json.is_discarded()) << dump.parse_error << dump.cmd.describe();
  const auto& crash = dump.json["crash"];
  ASSERT_TRUE(crash.is_object()) << dump.json.dump(2).substr(0, 2000);
  EXPECT_EQ(crash["signal"].get<int>(), truth.signo);
  EXPECT_EQ(crash["thread"].get<pid_t>(), truth.tid);
  EXPECT_EQ(crash["stack_overflow"].get<bool>(), mode == "overflow");
  if (truth.address != "-") {
    EXPECT_EQ(crash["fault_address"], "0x" + truth.address);
  }
  if (mode == "assert") {
    std::string msg = crash["abort_message"];
    EXPECT_NE(msg.find("Assertion `" + truth.assert_text + "' failed."), std::string::npos) << msg;
    EXPECT_NE(msg.find("check_config"), std::string::npos) << msg;
  }
  auto text = run_corostack({"dump", "--core", core.string()});
  std::string headline = "Program terminated with signal " + std::string("SIG") +
                         sigabbrev_np(truth.signo) + ", " + sigdescr_np(truth.signo) + ".";
  EXPECT_NE(text.out.find(headline), std::string::npos) << text.out.substr(0, 2000);

  // doctor --core: one critical crash finding naming the thread and its frames.
  JsonRun doc = run_corostack_json({"doctor", "--json", "--core", core.string()});
  ASSERT_FALSE(doc.json.is_discarded()) << doc.parse_error << doc.cmd.describe();
  EXPECT_EQ(doc.cmd.exit_code, 3) << doc.cmd.describe();
  ASSERT_FALSE(doc.json["findings"].empty());
  const auto& f = doc.json["findings"][0];
  EXPECT_EQ(f["kind"], "crash");
  EXPECT_EQ(f["severity"], "critical");
  EXPECT_EQ(f["threads"][0].get<pid_t>(), truth.tid);
  EXPECT_NE(f["summary"].get<std::string>().find(headline), std::string::npos) << f.dump(2);
  bool frame_seen = false;
  for (const auto& e : f["evidence"])
    frame_seen |= e.get<std::string>().find(truth.function) != std::string::npos;
  EXPECT_TRUE(frame_seen) << f.dump(2);
}

INSTANTIATE_TEST_SUITE_P(Signals, DoctorCrashTest,
                         testing::Values("segv", "assert", "overflow", "fpe", "bus"));

}  // namespace
}  // namespace e2e
