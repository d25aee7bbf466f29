// The strace line writer and the -c table, fed a known sequence of events:
// interleaved threads give strace's unfinished/resumed pair, the return
// column, -T, held-back lines for -Z, exits and signals; the table has
// strace's columns and order.
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "trace/call_counts.hpp"
#include "trace/strace_writer.hpp"

namespace corostack::trace {
namespace {

struct NoFds final : FdNames {
  std::string describe(pid_t, int, int) const override { return ""; }
};

struct NoMemory final : MemoryReader {
  ReadResult read(RemoteAddr, std::span<std::byte>) const override { return {}; }
};

// Captures what a writer prints.
class Capture {
 public:
  Capture() : f_(std::tmpfile()) {}
  ~Capture() { std::fclose(f_); }
  std::FILE* file() { return f_; }
  std::string text() {
    std::fflush(f_);
    std::rewind(f_);
    std::string s;
    for (int c; (c = std::fgetc(f_)) != EOF;) s += static_cast<char>(c);
    return s;
  }

 private:
  std::FILE* f_;
};

CallEntry entry(pid_t tid, int64_t nr, std::array<uint64_t, 6> args, uint64_t t) {
  CallEntry e;
  e.call.tid = tid;
  e.call.nr = nr;
  e.call.args = args;
  e.tgid = 100;
  e.time_ns = t;
  return e;
}

CallExit exit_at(int64_t ret, uint64_t t) {
  CallExit x;
  x.ret = ret;
  x.time_ns = t;
  return x;
}

constexpr int64_t kClose = 3, kGetppid = 110, kDup = 32;

TEST(TraceStraceWriter, OneCallPadsToTheReturnColumn) {
  Capture out;
  NoFds fds;
  NoMemory mem;
  StraceWriter w(out.file(), LineOptions{}, fds, false);
  w.enter(entry(100, kGetppid, {}, 0), mem);
  w.leave(100, exit_at(42, 10), mem);
  w.finish();
  EXPECT_EQ(out.text(), "getppid()                               = 42\n");
}

TEST(TraceStraceWriter, InterleavedThreadsAreUnfinishedThenResumed) {
  Capture out;
  NoFds fds;
  NoMemory mem;
  StraceWriter w(out.file(), LineOptions{}, fds, false);
  w.threads_traced(2);
  w.enter(entry(101, kClose, {5}, 0), mem);
  w.enter(entry(102, kGetppid, {}, 1), mem);
  w.leave(102, exit_at(7, 2), mem);
  w.leave(101, exit_at(-9, 3), mem);
  w.finish();
  EXPECT_EQ(out.text(),
            "[pid   101] close(5 <unfinished ...>\n"
            "[pid   102] getppid()                   = 7\n"
            "[pid   101] <... close resumed>)        = -1 EBADF (Bad file descriptor)\n");
}

TEST(TraceStraceWriter, DurationsAndFailedOnly) {
  Capture out;
  NoFds fds;
  NoMemory mem;
  LineOptions o;
  o.durations = true;
  o.status = kStatusFailed;
  StraceWriter w(out.file(), o, fds, false);
  w.enter(entry(100, kDup, {3}, 1'000), mem);
  w.leave(100, exit_at(4, 22'000), mem);
  w.enter(entry(100, kClose, {99}, 30'000), mem);
  w.leave(100, exit_at(-9, 1'530'000), mem);
  w.finish();
  EXPECT_EQ(
      out.text(),
      "close(99)                               = -1 EBADF (Bad file descriptor) <0.001500>\n");
}

TEST(TraceStraceWriter, ExitInsideACallAndSignals) {
  Capture out;
  NoFds fds;
  NoMemory mem;
  StraceWriter w(out.file(), LineOptions{}, fds, false);
  SignalEvent s;
  s.tid = 100;
  s.signo = 10;
  s.siginfo = "{si_signo=SIGUSR1, si_code=SI_USER, si_pid=1, si_uid=0}";
  w.signal(s);
  w.enter(entry(100, 231, {3}, 0), mem);  // exit_group(3)
  ExitEvent e;
  e.tid = 100;
  e.code = 3;
  w.exited(e);
  w.finish();
  EXPECT_EQ(out.text(),
            "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=1, si_uid=0} ---\n"
            "exit_group(3)                           = ?\n"
            "+++ exited with 3 +++\n");
}

TEST(TraceCallCounts, StracesTableMostTimeFirst) {
  Capture out;
  NoMemory mem;
  CallCounts c(out.file(), /*wall=*/true, /*by_python=*/false);
  for (int i = 0; i < 3; ++i) {
    c.enter(entry(100, kGetppid, {}, 0), mem);
    c.leave(100, exit_at(1, 1'000), mem);
  }
  c.enter(entry(100, kClose, {9}, 0), mem);
  c.leave(100, exit_at(-9, 9'000), mem);
  c.finish();
  EXPECT_EQ(out.text(),
            "% time     seconds  usecs/call     calls    errors syscall\n"
            "------ ----------- ----------- --------- --------- ----------------\n"
            " 75.00    0.000009           9         1         1 close\n"
            " 25.00    0.000003           1         3           getppid\n"
            "------ ----------- ----------- --------- --------- ----------------\n"
            "100.00    0.000012           3         4         1 total\n");
}

}  // namespace
}  // namespace corostack::trace
