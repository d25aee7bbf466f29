#include "diagnose/crash_rules.hpp"

#include <cctype>

#include "diagnose/native_lock_waits.hpp"
#include "diagnose/thread_label.hpp"

namespace corostack::diagnose {
namespace {

constexpr size_t kFramesShown = 16;

}  // namespace

void check_crash(const ProcessSnapshot& snap, DoctorReport& report) {
  if (!snap.crash) {
    if (snap.source == TargetKind::kCore)
      report.healthy.push_back("crash: the core records no fatal signal (a snapshot, e.g. gcore)");
    return;
  }
  const CrashInfo& c = *snap.crash;
  Finding f;
  f.kind = FindingKind::kCrash;
  f.severity = Severity::kCritical;
  std::string detail = c.detail();
  f.summary = c.headline();
  if (!detail.empty()) {
    detail[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(detail[0])));
    f.summary += " " + detail + ".";
  }
  if (!c.abort_message.empty()) f.evidence.push_back("abort message: " + c.abort_message);
  if (c.thread) {
    f.threads.push_back(c.thread);
    f.evidence.push_back(thread_label(snap, c.thread) + " received it:");
    if (const ThreadSnapshot* t = find_thread(snap, c.thread)) {
      size_t shown = 0;
      for (const Frame& fr : t->frames) {
        if (shown == kFramesShown) {
          f.evidence.push_back("  ...");
          break;
        }
        f.evidence.push_back("  " + std::string(fr.kind == FrameKind::kPython ? "(Python) " : "") +
                             frame_text(fr));
        ++shown;
      }
    }
  }
  report.findings.push_back(std::move(f));
}

}  // namespace corostack::diagnose
