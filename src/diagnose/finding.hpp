#pragma once
// What `doctor` concludes, as data: each rule turns facts read from the
// target into findings; only render/ prints them. A finding carries its
// evidence (threads, the locks or futures between them, the frames) both as
// structured wait edges, which tests and JSON consumers check, and as lines
// of text for people.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace corostack::diagnose {

// Most severe last, so findings sort by it. kCritical: the process cannot make
// progress on its own (a deadlock, a crash). kWarning: something blocks work
// that should go on (a blocked event loop, GIL contention). kNotice: worth
// knowing when asking "why is it stuck" (a wait on a lock nobody is known to
// hold, a thread stuck for the whole watch).
enum class Severity { kNotice, kWarning, kCritical };
const char* severity_name(Severity s);  // "notice", "warning", "critical"

enum class FindingKind {
  kNativeDeadlock,      // pthread mutex / rwlock wait-for cycle
  kAbandonedLock,       // a mutex whose owner thread no longer exists
  kPythonDeadlock,      // threading.RLock (and lock) wait-for cycle
  kPythonLockWait,      // threads waiting on a Python lock with no recorded owner
  kBlockedEventLoop,    // an asyncio loop stuck in a task or callback
  kGilContention,       // threads waiting for a GIL another thread holds
  kAsyncioAwaitCycle,   // tasks awaiting each other
  kUnawaitedCoroutine,  // coroutines created and never awaited
  kOrphanedAwait,       // a task waits on a future nothing can complete (a guess)
  kStuckThread,         // --watch: no progress, no CPU
  kSpinningThread,      // --watch: 100 % CPU on the same line
  kResource,            // fds near the limit, zombie children
  kCrash,               // cores: the fatal signal
};
const char* finding_kind_name(FindingKind k);  // "native-deadlock", ...

// One "waits for" edge of a wait-for graph: `waiter` is blocked on `lock`,
// which `holder` holds (0: no owner recorded or known).
struct WaitEdge {
  pid_t waiter = 0;
  pid_t holder = 0;
  std::string lock_kind;  // "pthread_mutex_t", "pthread_rwlock_t", "threading.RLock", "GIL", ...
  uint64_t lock_address = 0;
  std::string lock_name;     // data symbol or Python name ("owl_mutex", "alice.lock"); may be empty
  std::string waiter_frame;  // where the waiter takes the lock: "transfer at bank.c:41"
};

struct Finding {
  FindingKind kind = FindingKind::kNativeDeadlock;
  Severity severity = Severity::kNotice;
  std::string summary;         // one line: "deadlock: 2 threads wait for each other's mutexes"
  std::vector<pid_t> threads;  // the threads involved, in the order the evidence names them
  std::vector<WaitEdge> edges;
  std::vector<std::string> evidence;  // lines of text, already in reading order
};

struct DoctorReport {
  std::vector<Finding> findings;  // most severe first once sorted
  std::vector<std::string>
      healthy;  // what was checked and found fine ("no lock cycles among 4 threads")
  std::vector<std::string> not_checked;  // what could not be checked here, and why
  void sort();                           // most severe first, stable within a severity
};

}  // namespace corostack::diagnose
