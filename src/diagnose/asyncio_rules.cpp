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
  if (a.cycles.empty())
    report.healthy.push_back(fmt::format("asyncio: {} task{}, no await cycle", a.tasks.size(),
                                         a.tasks.size() == 1 ? "" : "s"));
  if (!a.unawaited_not_checked.empty())
    report.not_checked.push_back("never-awaited coroutines: " + a.unawaited_not_checked);
}

}  // namespace corostack::diagnose
