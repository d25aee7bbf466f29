// doctor's wait-for graph and pthread lock reading over fake snapshots and
// fake memory: cycles of any length, chains, self-waits, owners pointing at
// nonsense, unreadable locks.
#include <gtest/gtest.h>

#include <cstring>

#include "diagnose/native_lock_rules.hpp"
#include "diagnose/native_lock_waits.hpp"
#include "diagnose/wait_graph.hpp"
#include "target/fake_target.hpp"

namespace corostack::diagnose {
namespace {

WaitEdge edge(pid_t w, pid_t h) {
  WaitEdge e;
  e.waiter = w;
  e.holder = h;
  return e;
}

TEST(WaitGraph, FindsEachCycleOnceStartingAtLowestTid) {
  std::vector<WaitEdge> edges = {edge(30, 10), edge(10, 20), edge(20, 30),  // 3-cycle
                                 edge(40, 10),                              // waits into it
                                 edge(50, 60), edge(60, 50),                // 2-cycle
                                 edge(70, 80), edge(80, 0)};                // chain, no holder
  auto cycles = wait_cycles(edges);
  ASSERT_EQ(cycles.size(), 2u);
  ASSERT_EQ(cycles[0].size(), 3u);
  EXPECT_EQ(edges[cycles[0][0]].waiter, 10);
  EXPECT_EQ(edges[cycles[0][1]].waiter, 20);
  EXPECT_EQ(edges[cycles[0][2]].waiter, 30);
  ASSERT_EQ(cycles[1].size(), 2u);
  EXPECT_EQ(edges[cycles[1][0]].waiter, 50);
}

TEST(WaitGraph, SelfWaitIsACycleAndLongChainsTerminate) {
  std::vector<WaitEdge> edges = {edge(5, 5)};
  for (pid_t t = 100; t < 100100; ++t) edges.push_back(edge(t, t + 1));
  auto cycles = wait_cycles(edges);
  ASSERT_EQ(cycles.size(), 1u);
  EXPECT_EQ(edges[cycles[0][0]].waiter, 5);
}

constexpr uint64_t kLockBase = 0x10000;

ThreadSnapshot futex_waiter(pid_t tid, uint64_t addr, uint64_t op = 0x80, uint64_t val = 2) {
  ThreadSnapshot t;
  t.tid = tid;
  t.state = 'S';
  t.syscall = SyscallInfo{202, "futex", {addr, op, val, 0, 0, 0}, {}};
  Frame lock;
  lock.function = "___pthread_mutex_lock";
  Frame user;
  user.function = "transfer";
  user.file = "/src/bank.c";
  user.line = 41;
  t.frames = {lock, user};
  return t;
}

std::vector<std::byte> mutex_bytes(int32_t lock, int32_t owner, int32_t kind) {
  std::vector<std::byte> b(40);
  std::memcpy(b.data(), &lock, 4);
  std::memcpy(b.data() + 8, &owner, 4);
  std::memcpy(b.data() + 16, &kind, 4);
  return b;
}

TEST(NativeLockWaits, MutexCycleAndNames) {
  FakeTarget mem;
  auto a = mutex_bytes(2, 11, 0);
  auto b = mutex_bytes(2, 10, 0);
  a.insert(a.end(), b.begin(), b.end());
  mem.add_region(RemoteAddr(kLockBase), a);
  ProcessSnapshot snap;
  snap.threads = {futex_waiter(10, kLockBase), futex_waiter(11, kLockBase + 40)};
  snap.threads[0].name = "worker-a";
  auto waits = find_native_lock_waits(snap, mem);
  ASSERT_EQ(waits.size(), 2u);
  EXPECT_EQ(waits[0].owner, 11);
  EXPECT_EQ(waits[0].waiter_frame, "transfer at bank.c:41");
  EXPECT_TRUE(waits[0].seen_in_frames);
  DoctorReport report;
  check_native_locks(
      waits, snap,
      [](uint64_t a) { return a == kLockBase ? std::string("owl_mutex") : std::string(); }, report);
  ASSERT_EQ(report.findings.size(), 1u);
  const Finding& f = report.findings[0];
  EXPECT_EQ(f.kind, FindingKind::kNativeDeadlock);
  EXPECT_EQ(f.threads, (std::vector<pid_t>{10, 11}));
  EXPECT_EQ(f.evidence[0], "thread 10 \"worker-a\" holds pthread_mutex_t 0x10028");
  EXPECT_EQ(f.evidence[1],
            "    and waits for pthread_mutex_t owl_mutex (0x10000) in transfer at bank.c:41");
  EXPECT_EQ(f.evidence[2], "    which is held by thread 11");
}

TEST(NativeLockWaits, HostileWordsAreNotWaits) {
  FakeTarget mem;
  std::vector<std::byte> words;
  for (auto m : {mutex_bytes(2, 99999, 0),     // owner not ours, no frames → ignored below
                 mutex_bytes(0, 10, 0),        // unlocked
                 mutex_bytes(2, -5, 0),        // negative owner
                 mutex_bytes(2, 10, 0x7fff)})  // nonsense kind
    words.insert(words.end(), m.begin(), m.end());
  mem.add_region(RemoteAddr(kLockBase), words);
  ProcessSnapshot snap;
  ThreadSnapshot no_frames = futex_waiter(10, kLockBase);
  no_frames.frames.clear();
  snap.threads = {no_frames,
                  futex_waiter(11, kLockBase + 40),
                  futex_waiter(12, kLockBase + 80),
                  futex_waiter(13, kLockBase + 120),
                  futex_waiter(14, 0xdead0000),           // unreadable
                  futex_waiter(15, kLockBase, 0x80, 1)};  // val 1: not a contended mutex wait
  auto waits = find_native_lock_waits(snap, mem);
  EXPECT_TRUE(waits.empty()) << waits.size();
}

TEST(NativeLockWaits, OwnerGoneIsAbandoned) {
  FakeTarget mem;
  mem.add_region(RemoteAddr(kLockBase), mutex_bytes(2, 4242, 0));
  ProcessSnapshot snap;
  snap.threads = {futex_waiter(10, kLockBase)};
  auto waits = find_native_lock_waits(snap, mem);
  ASSERT_EQ(waits.size(), 1u);
  DoctorReport report;
  check_native_locks(waits, snap, nullptr, report);
  ASSERT_EQ(report.findings.size(), 1u);
  EXPECT_EQ(report.findings[0].kind, FindingKind::kAbandonedLock);
  EXPECT_EQ(report.findings[0].edges[0].holder, 4242);
}

}  // namespace
}  // namespace corostack::diagnose
