#include "diagnose/watch_rules.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <map>

#include "diagnose/native_lock_waits.hpp"
#include "diagnose/thread_label.hpp"

namespace corostack::diagnose {
namespace {

// A thread on the same line at both reads that ran at least this share of
// the time is in a busy loop; so is one found runnable (R) at both reads that
// ran at least kSpinningCpuWhenRunnable: a loaded machine may give a busy
// thread much less than a whole CPU.
constexpr double kSpinningCpu = 0.5;
constexpr double kSpinningCpuWhenRunnable = 0.1;

// What a thread was doing, comparable across reads: its system call and frames.
std::string activity(const ThreadSnapshot& t) {
  std::string s;
  if (t.syscall) {
    s += std::to_string(t.syscall->nr);
    for (uint64_t a : t.syscall->args) s += fmt::format(",{:x}", a);
  }
  s += '|';
  for (const Frame& f : t.frames)
    s += (f.function ? *f.function : std::string("?")) + ":" + std::to_string(f.line) + ";";
  return s;
}

// The innermost Python frame, else the innermost named native frame.
const Frame* current_frame(const ThreadSnapshot& t) {
  for (const Frame& f : t.frames)
    if (f.kind == FrameKind::kPython) return &f;
  for (const Frame& f : t.frames)
    if (f.function) return &f;
  return nullptr;
}

std::string where(const ThreadSnapshot& t) {
  const Frame* f = current_frame(t);
  std::string s = f ? frame_text(*f) : std::string("?");
  return s;
}

}  // namespace

void check_watch(const ProcessSnapshot& before, const ThreadCpuTimes& cpu_before,
                 const ProcessSnapshot& after, const ThreadCpuTimes& cpu_after, double seconds,
                 DoctorReport& report) {
  if (!cpu_before.read || !cpu_after.read) {
    report.not_checked.push_back("stuck versus working threads: CPU times not readable");
    return;
  }
  double elapsed = static_cast<double>(cpu_after.when_ns - cpu_before.when_ns) / 1e9;
  if (elapsed <= 0) elapsed = seconds;
  double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  size_t idle = 0, working = 0;
  std::map<std::string, size_t> idle_calls;
  for (const ThreadSnapshot& t : after.threads) {
    const ThreadSnapshot* b = find_thread(before, t.tid);
    auto c0 = cpu_before.ticks.find(t.tid);
    auto c1 = cpu_after.ticks.find(t.tid);
    if (!b || c0 == cpu_before.ticks.end() || c1 == cpu_after.ticks.end()) continue;
    double cpu = static_cast<double>(c1->second - c0->second) / hz / elapsed;
    bool same = activity(*b) == activity(t);
    const Frame* f0 = current_frame(*b);
    const Frame* f1 = current_frame(t);
    bool same_line =
        f0 && f1 && f0->function == f1->function && f0->file == f1->file && f0->line == f1->line;
    bool runnable = t.state == 'R' && b->state == 'R';
    bool busy = cpu >= kSpinningCpu || (runnable && cpu >= kSpinningCpuWhenRunnable);
    if (busy && same_line && !t.syscall) {
      Finding f;
      f.kind = FindingKind::kSpinningThread;
      f.severity = Severity::kWarning;
      f.threads.push_back(t.tid);
      f.summary = fmt::format("{} spins: {:.0f} % CPU for {:.1f} s, in {} at both reads",
                              thread_label(after, t.tid), cpu * 100, elapsed, where(t));
      f.evidence.push_back(f.summary);
      report.findings.push_back(std::move(f));
    } else if (same && c1->second == c0->second && t.state == 'D' && b->state == 'D') {
      Finding f;
      f.kind = FindingKind::kStuckThread;
      f.severity = Severity::kWarning;
      f.threads.push_back(t.tid);
      f.summary =
          fmt::format("{} stuck ≥ {:.1f} s in uninterruptible {} ({})", thread_label(after, t.tid),
                      elapsed, t.syscall ? t.syscall->name + "()" : "sleep", where(t));
      f.evidence.push_back(f.summary);
      report.findings.push_back(std::move(f));
    } else if (same && c1->second == c0->second) {
      ++idle;
      ++idle_calls[t.syscall ? t.syscall->name : std::string("no system call")];
    } else {
      ++working;
    }
  }
  std::string calls;
  for (const auto& [name, n] : idle_calls)
    calls += (calls.empty() ? "" : ", ") + fmt::format("{} in {}", n, name);
  report.healthy.push_back(fmt::format(
      "watch {:.1f} s: {} thread{} made progress; {} waited without CPU in the same call{}",
      elapsed, working, working == 1 ? "" : "s", idle, calls.empty() ? "" : " (" + calls + ")"));
}

}  // namespace corostack::diagnose
