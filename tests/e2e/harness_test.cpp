// The harness's parsers and process handling, on fixed inputs.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "function_names.hpp"
#include "gdb.hpp"
#include "run_command.hpp"
#include "target_process.hpp"
#include "truth.hpp"

namespace e2e {
namespace {

TEST(Truth, ParsesThreadsWithChains) {
  Truth t = parse_truth(
      "pid 10\nexe /x/native_threads_O0\n"
      "thread 10 native_threads_ main_wait,main\n"
      "thread 11 a b reader_level1,reader_level2\n");
  EXPECT_EQ(t.pid, 10);
  EXPECT_EQ(t.exe, "/x/native_threads_O0");
  ASSERT_EQ(t.threads.size(), 2u);
  ASSERT_NE(t.thread(11), nullptr);
  EXPECT_EQ(t.thread(11)->name, "a b");
  EXPECT_EQ(t.thread(11)->chain, (std::vector<std::string>{"reader_level1", "reader_level2"}));
  EXPECT_THROW(parse_truth("pid x\n"), std::runtime_error);
}

TEST(FunctionNames, StripArguments) {
  EXPECT_EQ(strip_arguments("reader_level1(int)"), "reader_level1");
  EXPECT_EQ(strip_arguments("(anonymous namespace)::read_idle()"),
            "(anonymous namespace)::read_idle");
  EXPECT_EQ(strip_arguments("ns::C::f(int) const"), "ns::C::f");
  EXPECT_EQ(strip_arguments("f(int) [clone .constprop.0]"), "f");
  EXPECT_EQ(strip_arguments("ns::C::operator()(int)"), "ns::C::operator()");
  EXPECT_EQ(strip_arguments("main"), "main");
}

TEST(FunctionNames, NormalizeAlias) {
  EXPECT_EQ(normalize_alias("__GI___libc_read"), "read");
  EXPECT_EQ(normalize_alias("__libc_read"), "read");
  EXPECT_EQ(normalize_alias("___pthread_mutex_lock"), "pthread_mutex_lock");
  EXPECT_EQ(normalize_alias("__GI___clock_nanosleep"), "clock_nanosleep");
  EXPECT_EQ(normalize_alias("start_thread"), "start_thread");
  EXPECT_EQ(normalize_alias("__libc_start_main_impl"), normalize_alias("__libc_start_main"));
}

TEST(FunctionNames, ContainsChain) {
  std::vector<std::string> frames{"read", "a", "b", "c"};
  size_t at = 99;
  EXPECT_TRUE(contains_chain(frames, {"a", "b"}, &at));
  EXPECT_EQ(at, 1u);
  EXPECT_FALSE(contains_chain(frames, {"a", "c"}));
}

// Shapes of gdb 13 output seen on this project's targets.
TEST(GdbParser, ThreadsAndInlineGroups) {
  const char* text =
      "[Current thread is 1 (Thread 0x7f (LWP 4534))]\n"
      "\n"
      "Thread 2 (Thread 0x7ff098c176c0 (LWP 4543)):\n"
      "#0  __GI___libc_read (nbytes=1, buf=0x7f, fd=4) at ../sysdeps/read.c:26\n"
      "#1  __GI___libc_read (fd=4, buf=0x7f, nbytes=1) at ../sysdeps/read.c:24\n"
      "#2  0x000055f10241d903 in (anonymous namespace)::read_idle () at /t/n.cpp:39\n"
      "#3  deep_bottom (args=args@entry=0x55) at /t/n.cpp:178\n"
      "#4  0x000055f10241da38 in deep_recurse (...) at /t/n.cpp:184\n"
      "#5  0x00007ff09bd278ec in clone3 () at ../clone3.S:81\n"
      "\n"
      "Thread 1 (LWP 4534):\n"
      "#0  0x00007f in ?? ()\n"
      "#1  0x00005 in reader_level1(int) () from /x\n";
  std::vector<GdbThread> threads = parse_gdb_backtraces(text);
  ASSERT_EQ(threads.size(), 2u);
  EXPECT_EQ(threads[0].tid, 4543);
  EXPECT_EQ(all_functions(threads[0]),
            (std::vector<std::string>{"__GI___libc_read", "__GI___libc_read",
                                      "(anonymous namespace)::read_idle", "deep_bottom",
                                      "deep_recurse", "clone3"}));
  EXPECT_EQ(
      physical_functions(threads[0]),
      (std::vector<std::string>{"__GI___libc_read", "deep_bottom", "deep_recurse", "clone3"}));
  EXPECT_EQ(threads[1].tid, 4534);
  EXPECT_EQ(all_functions(threads[1]), (std::vector<std::string>{"??", "reader_level1"}));
}

TEST(RunCommand, CapturesOutputAndExitCode) {
  CommandResult r = run_command({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.timed_out);
}

TEST(RunCommand, KillsOnTimeout) {
  CommandResult r = run_command({"sleep", "30"}, std::chrono::milliseconds(200));
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
}

TEST(TargetProcess, ReportsATargetThatNeverGetsReady) {
  TargetProcess target({"/bin/sh", "-c", "echo broken >&2; exit 5", "{ready_fd}"});
  testing::AssertionResult ready = target.wait_ready(true, std::chrono::seconds(5));
  EXPECT_FALSE(ready);
  EXPECT_NE(std::string(ready.message()).find("broken"), std::string::npos) << ready.message();
}

TEST(TargetProcess, WaitsForReadyAndKillsTheTarget) {
  // bash, since the fd number may have two digits. It writes ready on the fd
  // it was given, then sleeps until the destructor kills it.
  pid_t pid;
  {
    TargetProcess target({"/bin/bash", "-c", "echo ready >&$0; exec sleep 300", "{ready_fd}"});
    ASSERT_TRUE(target.wait_ready(true, std::chrono::seconds(5)));
    pid = target.pid();
    EXPECT_EQ(kill(pid, 0), 0);
  }
  EXPECT_NE(kill(pid, 0), 0);  // reaped: gone
}

}  // namespace
}  // namespace e2e
