#include "diagnose/gil_rules.hpp"

#include <fmt/format.h>

#include "diagnose/native_lock_waits.hpp"
#include "diagnose/thread_label.hpp"

namespace corostack::diagnose {
namespace {

constexpr size_t kPythonFramesShown = 2;  // in the summary
constexpr size_t kHolderFramesShown = 4;  // in the evidence

std::string innermost_python(const ThreadSnapshot& t) {
  for (const Frame& f : t.frames)
    if (f.kind == FrameKind::kPython) return frame_text(f);
  return {};
}

}  // namespace

std::string running_text(const ThreadSnapshot& t) {
  std::string out;
  size_t shown = 0;
  for (const Frame& f : t.frames) {
    if (f.kind != FrameKind::kPython) continue;
    if (!out.empty()) out += " \u2190 ";
    out += frame_text(f);
    if (++shown == kPythonFramesShown) break;
  }
  if (!t.frames.empty() && t.frames.front().kind == FrameKind::kNative &&
      t.frames.front().function) {
    std::string native = *t.frames.front().function;
    out = out.empty() ? native : out + " (in " + native + ")";
  }
  return out;
}

void check_gil(const GilFacts& gil, const GilFacts* first, double watch_seconds,
               const ProcessSnapshot& snap, DoctorReport& report) {
  if (!snap.python) return;
  if (gil.free_threaded) {
    report.healthy.push_back(
        "GIL: free-threaded build running without a GIL; GIL contention does not apply");
    return;
  }
  if (!gil.known) {
    report.not_checked.push_back("GIL: its state cannot be read for Python " +
                                 snap.python->version);
    return;
  }
  if (gil.waiters.empty()) {
    report.healthy.push_back(
        gil.holder != 0
            ? fmt::format("GIL: held by {}, no thread waits for it", thread_label(snap, gil.holder))
            : std::string("GIL: free, no thread waits for it"));
    return;
  }
  if (gil.holder == 0) {
    report.healthy.push_back(
        fmt::format("GIL: {} thread{} wait{} for it while nobody holds it (being handed over)",
                    gil.waiters.size(), gil.waiters.size() == 1 ? "" : "s",
                    gil.waiters.size() == 1 ? "s" : ""));
    return;
  }
  const ThreadSnapshot* holder = find_thread(snap, gil.holder);
  std::string running = holder ? running_text(*holder) : std::string();
  Finding f;
  f.kind = FindingKind::kGilContention;
  f.severity = Severity::kWarning;
  f.summary = fmt::format("{} thread{} wait for the GIL held by {}", gil.waiters.size(),
                          gil.waiters.size() == 1 ? "" : "s", thread_label(snap, gil.holder));
  if (!running.empty()) f.summary += ", running " + running;
  f.threads.push_back(gil.holder);
  f.evidence.push_back(
      fmt::format("{} holds the GIL (0x{:x})", thread_label(snap, gil.holder), gil.address));
  if (holder) {
    // Its innermost native frame (what runs), then its Python frames.
    if (!holder->frames.empty() && holder->frames.front().kind == FrameKind::kNative)
      f.evidence.push_back("    in " + frame_text(holder->frames.front()));
    size_t shown = 0;
    for (const Frame& fr : holder->frames) {
      if (fr.kind != FrameKind::kPython) continue;
      if (++shown > kHolderFramesShown) break;
      f.evidence.push_back("    " + frame_text(fr));
    }
    if (holder->syscall)
      f.evidence.push_back("    and is blocked in " + holder->syscall->name +
                           "() without releasing it");
  }
  if (first && first->switch_number && gil.switch_number) {
    uint64_t changes = *gil.switch_number - *first->switch_number;
    if (changes == 0 && first->holder == gil.holder)
      f.evidence.push_back(
          fmt::format("it did not change hands in {:g} s (switch_number {} at both reads)",
                      watch_seconds, *gil.switch_number));
    else
      f.evidence.push_back(fmt::format("it changed hands {} time{} in {:g} s", changes,
                                       changes == 1 ? "" : "s", watch_seconds));
  }
  for (pid_t w : gil.waiters) {
    WaitEdge e;
    e.waiter = w;
    e.holder = gil.holder;
    e.lock_kind = "GIL";
    e.lock_address = gil.address;
    if (const ThreadSnapshot* t = find_thread(snap, w)) e.waiter_frame = innermost_python(*t);
    std::string line = "  " + thread_label(snap, w) + " waits for it";
    if (!e.waiter_frame.empty()) line += " in " + e.waiter_frame;
    f.evidence.push_back(line);
    f.threads.push_back(w);
    f.edges.push_back(std::move(e));
  }
  report.findings.push_back(std::move(f));
}

}  // namespace corostack::diagnose
