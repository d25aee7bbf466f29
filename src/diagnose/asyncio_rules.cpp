#include "diagnose/asyncio_rules.hpp"
#include "diagnose/thread_label.hpp"

#include <fmt/format.h>

#include <filesystem>

namespace corostack::diagnose {

std::string python_frame_text(const python::PyFrame& f) {
  std::string s = f.function.empty() ? "?" : f.function;
  if (!f.filename.empty())
    s += " at " + std::filesystem::path(f.filename).filename().string() +
         (f.line > 0 ? ":" + std::to_string(f.line) : "");
  return s;
}

namespace {

std::string task_text(const asyncio::AsyncTask& t) {
  std::string s = "task \"" + t.name + "\"";
  if (!t.stack.empty()) s += " (" + python_frame_text(t.stack.front()) + ")";
  return s;
}

// Tasks that await `task`, directly or through others, breadth first;
// `parents[i]`: the tasks awaiting task i.
std::vector<size_t> awaiting_it(const std::vector<std::vector<size_t>>& parents, size_t task) {
  std::vector<size_t> out;
  std::vector<bool> seen(parents.size(), false);
  if (task >= seen.size()) return out;
  seen[task] = true;
  for (size_t at = 0, next = task;; next = out[at++]) {
    for (size_t p : parents[next])
      if (!seen[p]) {
        seen[p] = true;
        out.push_back(p);
      }
    if (at == out.size()) break;
  }
  return out;
}

std::string short_type(const std::string& type) {
  auto dot = type.rfind('.');
  return dot == std::string::npos ? type : type.substr(dot + 1);
}

void check_orphaned(const asyncio::AsyncioState& a, DoctorReport& report) {
  constexpr size_t kMaxBlockedShown = 20;
  std::vector<std::vector<size_t>> parents(a.tasks.size());
  for (const asyncio::AsyncEdge& e : a.edges)
    if (e.child < parents.size() && e.parent < parents.size()) parents[e.child].push_back(e.parent);
  for (const asyncio::OrphanedWait& o : a.orphaned) {
    if (o.task >= a.tasks.size()) continue;
    const asyncio::AsyncTask& t = a.tasks[o.task];
    std::string object = short_type(o.what);
    bool future = object == "Future";
    if (o.root) {
      report.healthy.push_back(fmt::format(
          "asyncio: {}, which asyncio.run waits for, awaits a {} nothing else references: the "
          "\"run forever\" idiom",
          task_text(t), object));
      continue;
    }
    Finding f;
    f.kind = FindingKind::kOrphanedAwait;
    f.severity = Severity::kWarning;
    f.summary = fmt::format(
        "{} waits on a{} {} nothing else references: no one can {} it, only cancelling the task "
        "ends the wait (a guess from reference counts)",
        task_text(t), object.starts_with('E') ? "n" : "", object, future ? "complete" : "wake");
    f.evidence.push_back(
        fmt::format("{} {:#x} has {} reference{}, all held by the task itself ({})", object,
                    o.object.value(), o.references, o.references == 1 ? "" : "s",
                    future ? "its _fut_waiter and its coroutine frames" : "its coroutine frames"));
    std::vector<size_t> blocked = awaiting_it(parents, o.task);
    for (size_t k = 0; k < blocked.size() && k < kMaxBlockedShown; ++k)
      f.evidence.push_back(task_text(a.tasks[blocked[k]]) + " waits for it too");
    if (blocked.size() > kMaxBlockedShown)
      f.evidence.push_back(fmt::format("... and {} more tasks", blocked.size() - kMaxBlockedShown));
    f.evidence.push_back(
        "not seen: pointers C code keeps without a reference; references from garbage count "
        "as reachable");
    report.findings.push_back(std::move(f));
  }
}

}  // namespace

void check_asyncio(const ProcessSnapshot& snap, DoctorReport& report) {
  if (!snap.asyncio) return;
  const asyncio::AsyncioState& a = *snap.asyncio;
  if (!a.imported) {
    report.healthy.push_back("asyncio: not imported");
    return;
  }
  for (const std::vector<size_t>& cycle : a.cycles) {
    Finding f;
    f.kind = FindingKind::kAsyncioAwaitCycle;
    f.severity = Severity::kCritical;
    f.summary = fmt::format(
        "asyncio await cycle: {} tasks wait for each other and can never finish", cycle.size());
    for (size_t k = 0; k < cycle.size(); ++k) {
      if (cycle[k] >= a.tasks.size()) continue;
      const asyncio::AsyncTask& t = a.tasks[cycle[k]];
      const asyncio::AsyncTask* next = cycle[(k + 1) % cycle.size()] < a.tasks.size()
                                           ? &a.tasks[cycle[(k + 1) % cycle.size()]]
                                           : nullptr;
      f.evidence.push_back(task_text(t) + " awaits " + (next ? task_text(*next) : "?"));
    }
    report.findings.push_back(std::move(f));
  }
  if (!a.unawaited.empty()) {
    Finding f;
    f.kind = FindingKind::kUnawaitedCoroutine;
    f.severity = Severity::kNotice;
    f.summary = fmt::format("{} coroutine{} created and never awaited (they will never run)",
                            a.unawaited.size(), a.unawaited.size() == 1 ? "" : "s");
    for (const asyncio::UnawaitedCoroutine& c : a.unawaited) {
      f.evidence.push_back(fmt::format("{} defined at {}:{} ({:#x})", c.qualname,
                                       std::filesystem::path(c.filename).filename().string(),
                                       c.line, c.address.value()));
      if (f.evidence.size() >= 20) {
        f.evidence.push_back(fmt::format("... and {} more", a.unawaited.size() - 20));
        break;
      }
    }
    report.findings.push_back(std::move(f));
  }
  check_orphaned(a, report);
  if (a.cycles.empty())
    report.healthy.push_back(fmt::format("asyncio: {} task{}, no await cycle", a.tasks.size(),
                                         a.tasks.size() == 1 ? "" : "s"));
  if (!a.unawaited_not_checked.empty())
    report.not_checked.push_back("never-awaited coroutines: " + a.unawaited_not_checked);
}

}  // namespace corostack::diagnose
