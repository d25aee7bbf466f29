// doctor's Python checks over fake memory and fake snapshots: the lock a
// futex waiter sleeps on, found through the real 3.12 and 3.14 layouts (the
// sem_t pointer a Lock keeps, the bound __exit__ that `with` leaves on the
// value stack, the parking lot's wait_entry), the GIL's state; then hostile
// memory (garbage, pointer loops) that must give nothing, quickly; and the
// rules: RLock cycles, ownerless waits, idle pools, GIL contention, free
// threading.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <random>

#include "diagnose/gil_rules.hpp"
#include "diagnose/python_lock_rules.hpp"
#include "diagnose/python_waits.hpp"
#include "python/gil_state.hpp"
#include "python/lock_objects.hpp"
#include "python/python_versions.hpp"
#include "target/fake_target.hpp"

namespace corostack {
namespace {

using python::FieldLoc;
using python::PythonLayout;

constexpr uint64_t kBase = 0x20000000;

// A bump allocator of fake CPython objects, handed to a FakeTarget at kBase.
class Heap {
 public:
  explicit Heap(const PythonLayout& l) : l_(l) { buf_.resize(16); }
  uint64_t alloc(size_t n) {
    size_t at = (buf_.size() + 15) & ~size_t{15};
    buf_.resize(at + n);
    return kBase + at;
  }
  void put(uint64_t addr, uint64_t v) { std::memcpy(&buf_[addr - kBase], &v, 8); }
  void set(uint64_t obj, FieldLoc f, uint64_t v) {
    ASSERT_TRUE(f.present());
    std::memcpy(&buf_[obj - kBase + static_cast<uint64_t>(f.offset)], &v,
                static_cast<size_t>(f.size));
  }
  uint64_t type(const std::string& name) {
    uint64_t t = alloc(512);
    uint64_t s = alloc(name.size() + 1);
    std::memcpy(&buf_[s - kBase], name.c_str(), name.size() + 1);
    set(t, l_.type_name, s);
    return t;
  }
  uint64_t object(uint64_t type, size_t size = 64) {
    uint64_t o = alloc(size);
    set(o, l_.object_type, type);
    return o;
  }
  void map(FakeTarget& t) {
    std::vector<std::byte> bytes(buf_.size());
    std::memcpy(bytes.data(), buf_.data(), buf_.size());
    t.add_region(RemoteAddr(kBase), std::move(bytes));
  }

 private:
  const PythonLayout& l_;
  std::vector<unsigned char> buf_;
};

const PythonLayout& layout(int minor) {
  const PythonLayout* l = python::layout_for(3, minor);
  EXPECT_NE(l, nullptr);
  return *l;
}

TEST(PythonLockObjects, Sem312RLockFromBoundExitOnValueStack) {
  const PythonLayout& l = layout(12);
  Heap h(l);
  uint64_t rlock_type = h.type("_thread.RLock");
  uint64_t method_type = h.type("builtin_function_or_method");
  uint64_t decoy_type = h.type("_thread.lock");
  uint64_t futex = h.alloc(32);  // the sem_t
  uint64_t rlock = h.object(rlock_type);
  h.set(rlock, l.rlock_sem, futex);
  h.set(rlock, l.rlock_owner, 0x7f0000001000);
  h.set(rlock, l.rlock_count, 2);
  uint64_t decoy = h.object(decoy_type);  // another lock, on another sem
  h.set(decoy, l.lock_sem, futex + 64);
  uint64_t exit_method = h.object(method_type);
  h.put(exit_method + 24, rlock);  // m_self
  uint64_t frame = h.alloc(1024);
  uint64_t plus = frame + static_cast<uint64_t>(l.iframe_localsplus.offset);
  h.put(plus, decoy);
  h.put(plus + 8, 0xdeadbeefdeadbeef);
  h.put(plus + 16, exit_method);
  FakeTarget t;
  h.map(t);
  python::RemoteObjects ro(t, l);
  uint64_t frames[] = {frame};
  auto found = python::find_waited_lock(ro, futex, frames, 0);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->type, python::PyLockType::kRLock);
  EXPECT_EQ(found->object.value(), rlock);
  EXPECT_EQ(found->owner_ident, 0x7f0000001000u);
  EXPECT_EQ(found->count, 2u);
  // The decoy's own futex finds the decoy, a Lock without an owner.
  auto d = python::find_waited_lock(ro, futex + 64, frames, 0);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->type, python::PyLockType::kLock);
  EXPECT_EQ(d->owner_ident, 0u);
  // A futex nothing points at: nothing.
  EXPECT_FALSE(python::find_waited_lock(ro, futex + 128, frames, 0));
}

TEST(PythonLockObjects, Sem312FromNativeStack) {
  const PythonLayout& l = layout(12);
  Heap h(l);
  uint64_t lock = h.object(h.type("_thread.lock"));
  uint64_t futex = h.alloc(32);
  h.set(lock, l.lock_sem, futex);
  uint64_t stack = h.alloc(4096);
  h.put(stack + 8, futex);
  h.put(stack + 200, lock);
  FakeTarget t;
  h.map(t);
  python::RemoteObjects ro(t, l);
  auto found = python::find_waited_lock(ro, futex, {}, stack);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->object.value(), lock);
}

TEST(PythonLockObjects, Mutex314FromWaitEntry) {
  const PythonLayout& l = layout(14);
  ASSERT_TRUE(l.rlock_mutex.present());
  Heap h(l);
  uint64_t rlock = h.object(h.type("_thread.RLock"));
  h.set(rlock, l.rlock_owner, 0x7f0000002000);
  h.set(rlock, l.rlock_level, 0);
  uint64_t entry = h.alloc(64);  // struct wait_entry {park_arg, addr, sema}
  h.put(entry + 8, rlock + static_cast<uint64_t>(l.rlock_mutex.offset));
  uint64_t futex = entry + 16;
  FakeTarget t;
  h.map(t);
  python::RemoteObjects ro(t, l);
  auto found = python::find_waited_lock(ro, futex, {}, 0);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->type, python::PyLockType::kRLock);
  EXPECT_EQ(found->owner_ident, 0x7f0000002000u);
  EXPECT_EQ(found->count, 1u);  // level + 1
  // The word before is not a lock's mutex: nothing.
  EXPECT_FALSE(python::find_waited_lock(ro, entry + 8, {}, 0));
}

TEST(PythonLockObjects, GilStateFromLayout) {
  const PythonLayout& l = layout(11);
  Heap h(l);
  uint64_t runtime = h.alloc(static_cast<size_t>(l.runtime_gil.offset) + 256);
  uint64_t gil = runtime + static_cast<uint64_t>(l.runtime_gil.offset);
  h.set(gil, l.gil_locked, 1);
  h.set(gil, l.gil_last_holder, 0x1234000);
  h.set(gil, l.gil_switch_number, 77);
  FakeTarget t;
  h.map(t);
  python::RemoteObjects ro(t, l);
  auto s = python::read_gil_state(ro, RemoteAddr(runtime), RemoteAddr());
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->locked);
  EXPECT_EQ(s->last_holder.value(), 0x1234000u);
  EXPECT_EQ(s->switch_number, 77u);
  // The reference's facts: waiters sleep on the condvar's words at gil+72/+76.
  EXPECT_TRUE(s->is_wait_address(gil + 72));
  EXPECT_TRUE(s->is_wait_address(gil + 76));
  EXPECT_FALSE(s->is_wait_address(gil + 24));
  EXPECT_FALSE(s->is_wait_address(gil + 130));  // switch_cond: the holder dropping it
}

// Garbage everywhere, self-referencing words, unmapped pointers: nothing is
// found, nothing crashes, and it stays fast.
TEST(PythonLockObjects, HostileMemoryGivesNothingQuickly) {
  for (int minor : {8, 12, 13, 14}) {
    const PythonLayout& l = layout(minor);
    std::mt19937_64 rng(minor);
    std::vector<std::byte> bytes(1 << 16);
    for (size_t i = 0; i + 8 <= bytes.size(); i += 8) {
      uint64_t v = (rng() & 3) == 0 ? kBase + (rng() % bytes.size() & ~uint64_t{7}) : rng();
      std::memcpy(&bytes[i], &v, 8);
    }
    FakeTarget t;
    t.add_region(RemoteAddr(kBase), std::move(bytes));
    python::RemoteObjects ro(t, l);
    auto start = std::chrono::steady_clock::now();
    std::vector<uint64_t> frames;
    for (int i = 0; i < 8; ++i) frames.push_back(kBase + 64 * static_cast<uint64_t>(i));
    for (uint64_t futex : {kBase + 8, kBase + 4096, uint64_t{0}, uint64_t{8}, ~uint64_t{0},
                           kBase + (1 << 16) - 4, uint64_t{0xdead0000}}) {
      auto r = python::find_waited_lock(ro, futex, frames, kBase + 128);
      EXPECT_FALSE(r) << minor << " " << futex;
      python::read_gil_state(ro, RemoteAddr(futex), RemoteAddr(futex));
      python::read_gil_states(ro, RemoteAddr(kBase), RemoteAddr(kBase + 16));
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  }
}

}  // namespace

namespace diagnose {
namespace {

ThreadSnapshot thread(pid_t tid, std::string name, std::vector<Frame> frames = {}) {
  ThreadSnapshot t;
  t.tid = tid;
  t.name = std::move(name);
  t.python = PythonThreadInfo{};
  t.frames = std::move(frames);
  return t;
}

Frame py(std::string function, std::string file, int line) {
  Frame f;
  f.kind = FrameKind::kPython;
  f.function = std::move(function);
  f.file = std::move(file);
  f.line = line;
  return f;
}

ProcessSnapshot python_snapshot(std::vector<ThreadSnapshot> threads) {
  ProcessSnapshot s;
  s.python = PythonProcessInfo{};
  s.python->version = "3.12.1";
  s.threads = std::move(threads);
  return s;
}

PyLockWaitFact wait(pid_t tid, pid_t holder, uint64_t addr, std::string name,
                    std::string kind = "threading.RLock") {
  PyLockWaitFact w;
  w.tid = tid;
  w.holder = holder;
  w.holder_ident = holder ? 0x7f00 + static_cast<uint64_t>(holder) : 0;
  w.count = holder ? 1 : 0;
  w.lock_kind = std::move(kind);
  w.lock_address = addr;
  w.lock_name = std::move(name);
  w.waiter_frame = "f at app.py:" + std::to_string(tid);
  return w;
}

TEST(PythonLockRules, RLockCycleIsADeadlock) {
  auto snap = python_snapshot({thread(10, "payer"), thread(20, "poster")});
  DoctorReport r;
  check_python_locks({wait(10, 20, 0x100, "ledger_lock"), wait(20, 10, 0x200, "alice.lock")},
                     GilFacts{}, snap, r);
  ASSERT_EQ(r.findings.size(), 1u);
  const Finding& f = r.findings[0];
  EXPECT_EQ(f.kind, FindingKind::kPythonDeadlock);
  EXPECT_EQ(f.severity, Severity::kCritical);
  ASSERT_EQ(f.edges.size(), 2u);
  EXPECT_EQ(f.edges[0].waiter, 10);
  EXPECT_EQ(f.edges[0].lock_name, "ledger_lock");
  EXPECT_NE(f.evidence[0].find("threading.RLock ledger_lock (0x100) at f at app.py:10"),
            std::string::npos)
      << f.evidence[0];
}

TEST(PythonLockRules, OwnerlessWaitIsANoticeAndIdleIsHealthy) {
  auto snap = python_snapshot({thread(10, "waiter"), thread(11, "waiter2"), thread(20, "pool-0"),
                               thread(21, "pool-1"), thread(30, "gate")});
  std::vector<PyLockWaitFact> waits = {wait(10, 0, 0x300, "vault_lock", "threading.Lock"),
                                       wait(11, 0, 0x300, "vault_lock", "threading.Lock")};
  for (pid_t t : {20, 21}) {
    waits.push_back(wait(t, 0, 0x400, "", "threading.Lock"));
    waits.back().idle_in = "Queue.get";
  }
  waits.push_back(wait(30, 0, 0x500, "", "threading.Lock"));
  waits.back().idle_in = "Event.wait";
  DoctorReport r;
  check_python_locks(waits, GilFacts{}, snap, r);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].kind, FindingKind::kPythonLockWait);
  EXPECT_EQ(r.findings[0].severity, Severity::kNotice);
  EXPECT_EQ(r.findings[0].edges.size(), 2u);
  EXPECT_NE(r.findings[0].summary.find("2 threads wait for threading.Lock vault_lock"),
            std::string::npos)
      << r.findings[0].summary;
  std::string healthy;
  for (const auto& h : r.healthy) healthy += h + "\n";
  EXPECT_NE(healthy.find("2 threads idle in Queue.get (pool-0, pool-1)"), std::string::npos)
      << healthy;
  EXPECT_NE(healthy.find("1 thread idle in Event.wait (gate)"), std::string::npos) << healthy;
}

TEST(PythonLockRules, HolderWaitingForTheGilAndGoneOwner) {
  auto snap = python_snapshot({thread(10, "a"), thread(20, "b"), thread(30, "hog")});
  GilFacts gil;
  gil.known = true;
  gil.holder = 30;
  gil.waiters = {20};
  PyLockWaitFact gone = wait(10, 0, 0x700, "x");
  gone.holder_ident = 0xabc;  // an ident no thread has
  DoctorReport r;
  check_python_locks({wait(10, 20, 0x600, "ledger_lock"), gone}, gil, snap, r);
  ASSERT_EQ(r.findings.size(), 2u);
  std::string text;
  for (const auto& f : r.findings)
    for (const auto& e : f.evidence) text += e + "\n";
  EXPECT_NE(text.find("waits for the GIL held by thread 30 \"hog\""), std::string::npos) << text;
  bool abandoned = false;
  for (const auto& f : r.findings) abandoned |= f.kind == FindingKind::kAbandonedLock;
  EXPECT_TRUE(abandoned);
}

TEST(GilRules, ContentionNamesTheHolderAndItsLine) {
  auto snap = python_snapshot(
      {thread(1, "main"),
       thread(5, "hog", {py("match", "re/__init__.py", 167), py("hog", "app.py", 83)}),
       thread(6, "w1"), thread(7, "w2")});
  GilFacts gil;
  gil.known = true;
  gil.holder = 5;
  gil.waiters = {1, 6, 7};
  gil.switch_number = 40;
  GilFacts first = gil;
  DoctorReport r;
  check_gil(gil, &first, 2, snap, r);
  ASSERT_EQ(r.findings.size(), 1u);
  const Finding& f = r.findings[0];
  EXPECT_EQ(f.kind, FindingKind::kGilContention);
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(f.edges.size(), 3u);
  EXPECT_EQ(f.edges[0].lock_kind, "GIL");
  EXPECT_EQ(f.edges[0].holder, 5);
  EXPECT_NE(f.summary.find("3 threads wait for the GIL held by thread 5 \"hog\", running match at "
                           "__init__.py:167 \u2190 hog at app.py:83"),
            std::string::npos)
      << f.summary;
  bool kept = false;
  for (const auto& e : f.evidence)
    kept |= e.find("did not change hands in 2 s") != std::string::npos;
  EXPECT_TRUE(kept);
}

TEST(GilRules, NoWaitersAndFreeThreadingAreHealthy) {
  auto snap = python_snapshot({thread(1, "main")});
  GilFacts gil;
  gil.known = true;
  gil.holder = 1;
  DoctorReport r;
  check_gil(gil, nullptr, 0, snap, r);
  GilFacts ft;
  ft.known = true;
  ft.free_threaded = true;
  check_gil(ft, nullptr, 0, snap, r);
  EXPECT_TRUE(r.findings.empty());
  ASSERT_EQ(r.healthy.size(), 2u);
  EXPECT_NE(r.healthy[0].find("no thread waits for it"), std::string::npos);
  EXPECT_NE(r.healthy[1].find("does not apply"), std::string::npos);
}

TEST(ThreadingWaits, ClassifiesByTheOutermostThreadingFrame) {
  auto kind = [](std::vector<Frame> frames) {
    return threading_wait_of(thread(1, "t", std::move(frames)), nullptr);
  };
  EXPECT_EQ(kind({py("Condition.wait", "/x/threading.py", 1), py("Queue.get", "/x/queue.py", 2),
                  py("work", "app.py", 3)}),
            "Queue.get");
  EXPECT_EQ(kind({py("wait", "/x/threading.py", 1), py("wait", "/x/threading.py", 2),
                  py("work", "app.py", 3)}),
            "Event.wait");
  EXPECT_EQ(kind({py("wait", "/x/threading.py", 1), py("acquire", "/x/threading.py", 2),
                  py("work", "app.py", 3)}),
            "Semaphore.acquire");
  EXPECT_EQ(kind({py("_wait_for_tstate_lock", "/x/threading.py", 1),
                  py("join", "/x/threading.py", 2), py("main", "app.py", 3)}),
            "Thread.join");
  EXPECT_EQ(kind({py("work", "app.py", 3)}), "");
  // <=3.10 with native frames merged: C frames between the Python ones.
  Frame c;
  c.function = "_PyFunction_Vectorcall";
  EXPECT_EQ(kind({c, py("wait", "/x/threading.py", 1), c, py("get", "/x/queue.py", 2), c,
                  py("work", "app.py", 3)}),
            "Queue.get");
}

}  // namespace
}  // namespace diagnose
}  // namespace corostack
