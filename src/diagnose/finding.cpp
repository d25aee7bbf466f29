#include "diagnose/finding.hpp"

#include <algorithm>

namespace corostack::diagnose {

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::kNotice:
      return "notice";
    case Severity::kWarning:
      return "warning";
    case Severity::kCritical:
      return "critical";
  }
  return "?";
}

const char* finding_kind_name(FindingKind k) {
  switch (k) {
    case FindingKind::kNativeDeadlock:
      return "native-deadlock";
    case FindingKind::kAbandonedLock:
      return "abandoned-lock";
    case FindingKind::kPythonDeadlock:
      return "python-deadlock";
    case FindingKind::kPythonLockWait:
      return "python-lock-wait";
    case FindingKind::kBlockedEventLoop:
      return "blocked-event-loop";
    case FindingKind::kGilContention:
      return "gil-contention";
    case FindingKind::kAsyncioAwaitCycle:
      return "asyncio-await-cycle";
    case FindingKind::kUnawaitedCoroutine:
      return "unawaited-coroutine";
    case FindingKind::kOrphanedAwait:
      return "orphaned-await";
    case FindingKind::kStuckThread:
      return "stuck-thread";
    case FindingKind::kSpinningThread:
      return "spinning-thread";
    case FindingKind::kResource:
      return "resource";
    case FindingKind::kCrash:
      return "crash";
  }
  return "?";
}

void DoctorReport::sort() {
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    return static_cast<int>(a.severity) > static_cast<int>(b.severity);
  });
}

}  // namespace corostack::diagnose
