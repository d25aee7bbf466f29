#include "diagnose/python_lock_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "diagnose/gil_rules.hpp"
#include "diagnose/native_lock_rules.hpp"
#include "diagnose/thread_label.hpp"
#include "diagnose/wait_graph.hpp"

namespace corostack::diagnose {
namespace {

WaitEdge edge_of(const PyLockWaitFact& w) {
  WaitEdge e;
  e.waiter = w.tid;
  e.holder = w.holder;
  e.lock_kind = w.lock_kind;
  e.lock_address = w.lock_address;
  e.lock_name = w.lock_name;
  e.waiter_frame = w.waiter_frame;
  return e;
}

bool waits_for_gil(const GilFacts& gil, pid_t tid) {
  return std::find(gil.waiters.begin(), gil.waiters.end(), tid) != gil.waiters.end();
}

// What the holder of a lock does, as far as it matters to its waiters.
std::string holder_line(const ProcessSnapshot& snap, const GilFacts& gil, pid_t holder,
                        const std::string& lock) {
  std::string s = "    which is held by " + thread_label(snap, holder);
  const ThreadSnapshot* t = find_thread(snap, holder);
  if (!t) return s;
  if (waits_for_gil(gil, holder))
    return s + ", which holds " + lock + " and waits for the GIL held by " +
           thread_label(snap, gil.holder);
  if (gil.holder == holder) return s + ", which holds it and the GIL, running " + running_text(*t);
  std::string running = running_text(*t);
  if (!running.empty()) s += ", in " + running;
  if (t->syscall) s += " (blocked in " + t->syscall->name + ")";
  return s;
}

}  // namespace

void check_python_locks(const std::vector<PyLockWaitFact>& waits, const GilFacts& gil,
                        const ProcessSnapshot& snap, DoctorReport& report) {
  if (!snap.python) return;
  std::vector<WaitEdge> edges;
  std::vector<const PyLockWaitFact*> facts;
  std::map<std::string, std::vector<pid_t>> idle;
  for (const PyLockWaitFact& w : waits) {
    if (!w.idle_in.empty()) {
      idle[w.idle_in].push_back(w.tid);
      continue;
    }
    edges.push_back(edge_of(w));
    facts.push_back(&w);
  }

  std::vector<bool> done(edges.size(), false);
  for (const std::vector<size_t>& cycle : wait_cycles(edges)) {
    Finding f;
    f.kind = FindingKind::kPythonDeadlock;
    f.severity = Severity::kCritical;
    f.summary = fmt::format(
        "Python deadlock: {} threads each wait for a threading lock another of them holds",
        cycle.size());
    for (size_t i : cycle) {
      done[i] = true;
      const WaitEdge& e = edges[i];
      f.threads.push_back(e.waiter);
      f.edges.push_back(e);
      std::string line = thread_label(snap, e.waiter) + " waits for " + lock_text(e);
      if (!e.waiter_frame.empty()) line += " at " + e.waiter_frame;
      f.evidence.push_back(line);
      f.evidence.push_back(fmt::format("    which is held by {} ({} time{})",
                                       thread_label(snap, e.holder), facts[i]->count,
                                       facts[i]->count == 1 ? "" : "s"));
    }
    report.findings.push_back(std::move(f));
  }

  // The rest, one finding per lock.
  std::map<uint64_t, std::vector<size_t>> by_lock;
  for (size_t i = 0; i < edges.size(); ++i) {
    if (done[i]) continue;
    // Unknown objects stay apart: one finding per waiter.
    uint64_t key = edges[i].lock_address != 0 ? edges[i].lock_address
                                              : (uint64_t{1} << 63) | static_cast<uint64_t>(i);
    by_lock[key].push_back(i);
  }
  for (const auto& [key, idx] : by_lock) {
    const WaitEdge& e0 = edges[idx.front()];
    const PyLockWaitFact& w0 = *facts[idx.front()];
    Finding f;
    std::string lock = lock_text(e0);
    bool abandoned = w0.holder_ident != 0 && w0.holder == 0;
    f.kind = abandoned ? FindingKind::kAbandonedLock : FindingKind::kPythonLockWait;
    f.severity = abandoned ? Severity::kCritical : Severity::kNotice;
    std::string who = fmt::format("{} thread{} wait{}", idx.size(), idx.size() == 1 ? "" : "s",
                                  idx.size() == 1 ? "s" : "");
    if (abandoned) {
      f.summary = fmt::format(
          "abandoned lock: {} is held by thread ident 0x{:x}, which no longer "
          "exists; {} for it",
          lock, w0.holder_ident, who);
    } else if (e0.holder != 0) {
      f.summary = fmt::format("{} for {}, held by {}", who, lock, thread_label(snap, e0.holder));
    } else if (e0.lock_address == 0) {
      f.summary = who + " for a threading lock that could not be identified";
    } else {
      f.summary = fmt::format("{} for {}, which records no owner", who, lock);
    }
    for (size_t i : idx) {
      const WaitEdge& e = edges[i];
      f.threads.push_back(e.waiter);
      f.edges.push_back(e);
      std::string line = thread_label(snap, e.waiter) + " waits for " + lock;
      if (!e.waiter_frame.empty()) line += " at " + e.waiter_frame;
      if (gil.holder == e.waiter) line += ", holding the GIL: no other Python thread can run";
      f.evidence.push_back(line);
    }
    if (e0.holder != 0) f.evidence.push_back(holder_line(snap, gil, e0.holder, lock));
    if (e0.holder == 0 && !abandoned && e0.lock_address != 0)
      f.evidence.push_back("    (a " + e0.lock_kind +
                           " records no owner: any thread may have taken it)");
    report.findings.push_back(std::move(f));
  }

  for (const auto& [where, tids] : idle) {
    std::string names;
    for (size_t i = 0; i < tids.size() && i < 4; ++i) {
      const ThreadSnapshot* t = find_thread(snap, tids[i]);
      names += (i ? ", " : "") + (t && !t->name.empty() ? t->name : std::to_string(tids[i]));
    }
    if (tids.size() > 4) names += ", ...";
    report.healthy.push_back(fmt::format("{} thread{} idle in {} ({})", tids.size(),
                                         tids.size() == 1 ? "" : "s", where, names));
  }
  if (edges.empty())
    report.healthy.push_back("Python locks: no thread waits for a lock held by another thread");
}

}  // namespace corostack::diagnose
