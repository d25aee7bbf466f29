// doctor's rules over fake snapshots: event loops idle or blocked, --watch's
// spinning and idle threads, the crash finding, the resource limits parser.
#include <gtest/gtest.h>

#include "diagnose/crash_rules.hpp"
#include "diagnose/event_loop_rules.hpp"
#include "diagnose/process_resources.hpp"
#include "diagnose/watch_rules.hpp"

namespace corostack::diagnose {
namespace {

Frame py(const std::string& function, const std::string& file, int line) {
  Frame f;
  f.kind = FrameKind::kPython;
  f.function = function;
  f.file = file;
  f.line = line;
  return f;
}

ThreadSnapshot loop_thread(bool in_selector) {
  ThreadSnapshot t;
  t.tid = 100;
  t.state = 'S';
  t.python = PythonThreadInfo{0x7000, true, false};
  if (in_selector) {
    t.syscall = SyscallInfo{232, "epoll_wait", {3, 0, 1, ~0ull}, {}};
    t.frames.push_back(py("EpollSelector.select", "/usr/lib/python3.12/selectors.py", 468));
  } else {
    t.syscall = SyscallInfo{230, "clock_nanosleep", {1, 0, 0, 0}, {}};
    t.frames.push_back(py("slow_handler", "/srv/app.py", 61));
    t.frames.push_back(py("Handle._run", "/usr/lib/python3.12/asyncio/events.py", 84));
  }
  t.frames.push_back(
      py("BaseEventLoop._run_once", "/usr/lib/python3.12/asyncio/base_events.py", 1936));
  t.frames.push_back(
      py("BaseEventLoop.run_forever", "/usr/lib/python3.12/asyncio/base_events.py", 608));
  return t;
}

ProcessSnapshot with_loop(ThreadSnapshot t) {
  ProcessSnapshot snap;
  snap.threads.push_back(std::move(t));
  asyncio::AsyncioState a;
  a.imported = true;
  asyncio::AsyncLoop loop;
  loop.address = RemoteAddr(0x9000);
  loop.type = "_UnixSelectorEventLoop";
  loop.thread_id = 0x7000;
  loop.current_task = 0;
  a.loops.push_back(loop);
  asyncio::AsyncTask slow;
  slow.name = "slowpoke";
  slow.loop = loop.address;
  slow.running = true;
  slow.state = asyncio::TaskState::kPending;
  python::PyFrame pf;
  pf.function = "slow_handler";
  pf.filename = "/srv/app.py";
  pf.line = 61;
  slow.stack.push_back(pf);
  a.tasks.push_back(slow);
  for (int i = 0; i < 5; ++i) {
    asyncio::AsyncTask w;
    w.name = "w" + std::to_string(i);
    w.loop = loop.address;
    w.state = asyncio::TaskState::kPending;
    a.tasks.push_back(w);
  }
  snap.asyncio = a;
  return snap;
}

TEST(EventLoopRules, IdleLoopIsHealthy) {
  DoctorReport report;
  check_event_loops(with_loop(loop_thread(true)), {}, nullptr, 0, report);
  EXPECT_TRUE(report.findings.empty());
  ASSERT_EQ(report.healthy.size(), 1u);
  EXPECT_NE(report.healthy[0].find("1 idle in the selector"), std::string::npos);
}

TEST(EventLoopRules, LoopBlockedInSleep) {
  DoctorReport report;
  check_event_loops(with_loop(loop_thread(false)), {{0x9000, 5}}, nullptr, 0, report);
  ASSERT_EQ(report.findings.size(), 1u);
  EXPECT_EQ(report.findings[0].summary,
            "event loop blocked by task \"slowpoke\" (slow_handler at app.py:61) in time.sleep "
            "(clock_nanosleep); 5 callbacks ready and waiting, 5 other tasks on this loop");
}

TEST(EventLoopRules, RunningCallbackNeedsWatch) {
  ThreadSnapshot t = loop_thread(false);
  t.syscall.reset();
  t.state = 'R';
  ProcessSnapshot once = with_loop(t);
  DoctorReport report;
  check_event_loops(once, {}, nullptr, 0, report);
  EXPECT_TRUE(report.findings.empty());
  DoctorReport watched;
  check_event_loops(once, {}, &once, 2.0, watched);
  ASSERT_EQ(watched.findings.size(), 1u);
  EXPECT_NE(watched.findings[0].summary.find("running Python at the same line"), std::string::npos);
}

TEST(WatchRules, SpinningAndIdle) {
  ProcessSnapshot a;
  ThreadSnapshot spin;
  spin.tid = 1;
  spin.state = 'R';
  spin.frames.push_back(py("crunch", "/srv/app.py", 12));
  ThreadSnapshot idle;
  idle.tid = 2;
  idle.state = 'S';
  idle.syscall = SyscallInfo{202, "futex", {1, 2, 3, 0, 0, 0}, {}};
  a.threads = {spin, idle};
  ThreadCpuTimes c0, c1;
  c0.read = c1.read = true;
  c0.when_ns = 0;
  c1.when_ns = 2'000'000'000;
  long hz = sysconf(_SC_CLK_TCK);
  c0.ticks = {{1, 0}, {2, 7}};
  c1.ticks = {{1, static_cast<uint64_t>(2 * hz)}, {2, 7}};
  DoctorReport report;
  check_watch(a, c0, a, c1, 2.0, report);
  ASSERT_EQ(report.findings.size(), 1u);
  EXPECT_EQ(report.findings[0].kind, FindingKind::kSpinningThread);
  EXPECT_NE(report.findings[0].summary.find("crunch at app.py:12"), std::string::npos);
  ASSERT_EQ(report.healthy.size(), 1u);
  EXPECT_NE(report.healthy[0].find("1 waited without CPU in the same call (1 in futex)"),
            std::string::npos)
      << report.healthy[0];
}

TEST(CrashRules, SignalledThreadFirst) {
  ProcessSnapshot snap;
  snap.source = TargetKind::kCore;
  ThreadSnapshot t;
  t.tid = 77;
  t.name = "doomed";
  Frame f;
  f.function = "write_to_bad_address()";
  t.frames.push_back(f);
  snap.threads.push_back(t);
  CrashInfo c;
  c.signo = 11;
  c.signal_name = "SIGSEGV";
  c.description = "Segmentation fault";
  c.code_text = "address not mapped to object";
  c.fault_address = 0x42;
  c.thread = 77;
  snap.crash = c;
  DoctorReport report;
  check_crash(snap, report);
  ASSERT_EQ(report.findings.size(), 1u);
  EXPECT_EQ(report.findings[0].summary,
            "Program terminated with signal SIGSEGV, Segmentation fault. Address not mapped to "
            "object at 0x42.");
  EXPECT_EQ(report.findings[0].evidence[0], "thread 77 \"doomed\" received it:");
  EXPECT_EQ(report.findings[0].evidence[1], "  write_to_bad_address()");
}

TEST(ProcessResources, OpenFilesLimit) {
  EXPECT_EQ(parse_open_files_limit(
                "Limit                     Soft Limit           Hard Limit           Units\n"
                "Max open files            1024                 524288               files\n"),
            1024u);
  EXPECT_FALSE(parse_open_files_limit(
      "Max open files            unlimited            unlimited            files\n"));
  EXPECT_FALSE(parse_open_files_limit("garbage"));
}

}  // namespace
}  // namespace corostack::diagnose
