#include "diagnose/native_lock_rules.hpp"

#include <fmt/format.h>

#include <unordered_map>

#include "diagnose/thread_label.hpp"
#include "diagnose/wait_graph.hpp"

namespace corostack::diagnose {

std::string lock_text(const WaitEdge& e) {
  std::string s = e.lock_kind;
  if (!e.lock_name.empty()) s += " " + e.lock_name;
  if (e.lock_address != 0) {
    s += e.lock_name.empty() ? " " : " (";
    s += fmt::format("0x{:x}", e.lock_address);
    if (!e.lock_name.empty()) s += ")";
  }
  return s;
}

void check_native_locks(const std::vector<NativeLockWait>& waits, const ProcessSnapshot& snap,
                        const std::function<std::string(uint64_t)>& lock_name,
                        DoctorReport& report) {
  std::vector<WaitEdge> edges;
  for (const NativeLockWait& w : waits) {
    WaitEdge e;
    e.waiter = w.tid;
    e.holder = w.owner;
    e.lock_kind = w.lock_kind;
    e.lock_address = w.lock_address;
    e.lock_name = lock_name ? lock_name(w.lock_address) : "";
    e.waiter_frame = w.waiter_frame;
    edges.push_back(std::move(e));
  }

  std::vector<bool> in_cycle(edges.size(), false);
  for (const std::vector<size_t>& cycle : wait_cycles(edges)) {
    Finding f;
    f.kind = FindingKind::kNativeDeadlock;
    f.severity = Severity::kCritical;
    f.summary = fmt::format("deadlock: {} threads each wait for a lock another of them holds",
                            cycle.size());
    for (size_t k = 0; k < cycle.size(); ++k) {
      size_t i = cycle[k];
      in_cycle[i] = true;
      const WaitEdge& e = edges[i];
      // What this thread holds: the lock the previous thread of the cycle waits for.
      const WaitEdge& held = edges[cycle[(k + cycle.size() - 1) % cycle.size()]];
      f.threads.push_back(e.waiter);
      f.edges.push_back(e);
      f.evidence.push_back(thread_label(snap, e.waiter) + " holds " + lock_text(held));
      std::string line = "    and waits for " + lock_text(e);
      if (!e.waiter_frame.empty()) line += " in " + e.waiter_frame;
      f.evidence.push_back(line);
      f.evidence.push_back("    which is held by " + thread_label(snap, e.holder));
    }
    report.findings.push_back(std::move(f));
  }

  // Abandoned: owned by a thread that is not in the process any more.
  std::unordered_map<uint64_t, Finding> abandoned;
  for (size_t i = 0; i < edges.size(); ++i) {
    const WaitEdge& e = edges[i];
    if (e.holder == 0 || find_thread(snap, e.holder)) continue;
    Finding& f = abandoned[e.lock_address];
    if (f.edges.empty()) {
      f.kind = FindingKind::kAbandonedLock;
      f.severity = Severity::kCritical;
      f.evidence.push_back(
          fmt::format("{} is held by thread {}, which no longer exists", lock_text(e), e.holder));
    }
    f.threads.push_back(e.waiter);
    f.edges.push_back(e);
    std::string line = "  " + thread_label(snap, e.waiter) + " waits for it";
    if (!e.waiter_frame.empty()) line += " in " + e.waiter_frame;
    f.evidence.push_back(line);
  }
  for (auto& [addr, f] : abandoned) {
    f.summary = fmt::format("abandoned lock: {} held by exited thread {}; {} thread{} wait for it",
                            lock_text(f.edges.front()), f.edges.front().holder, f.edges.size(),
                            f.edges.size() == 1 ? "" : "s");
    report.findings.push_back(std::move(f));
  }

  size_t contention = 0;
  for (size_t i = 0; i < edges.size(); ++i)
    if (!in_cycle[i] && edges[i].holder != 0 && find_thread(snap, edges[i].holder)) ++contention;
  if (edges.empty()) {
    report.healthy.push_back(
        snap.threads.size() == 1
            ? std::string(
                  "native locks: the only thread does not wait for a pthread mutex or rwlock")
            : fmt::format(
                  "native locks: none of the {} threads waits for a pthread mutex or rwlock",
                  snap.threads.size()));
  } else if (contention > 0) {
    report.healthy.push_back(fmt::format(
        "native locks: {} thread{} wait{} for a lock held by a thread that is not waiting back "
        "(no cycle)",
        contention, contention == 1 ? "" : "s", contention == 1 ? "s" : ""));
  }
}

}  // namespace corostack::diagnose
