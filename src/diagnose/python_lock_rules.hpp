#pragma once
// Finding 2 of `doctor`: Python threading locks. RLock wait-for cycles are
// deadlocks (critical); waits on a lock that records no owner (Lock,
// Semaphore), or on an RLock whose owner is not waiting back, are notices
// naming the lock and the waiting code; an RLock whose owner thread is gone
// is abandoned. Idle waits (workers in Queue.get, Event.wait,
// Condition.wait, Thread.join) are healthy and only counted. With the GIL's
// facts, a lock holder that waits for the GIL, or a waiter that holds it, is
// said so. Pure: no target reads.
#include <vector>

#include "diagnose/finding.hpp"
#include "diagnose/python_waits.hpp"
#include "snapshot/snapshot.hpp"

namespace corostack::diagnose {

void check_python_locks(const std::vector<PyLockWaitFact>& waits, const GilFacts& gil,
                        const ProcessSnapshot& snap, DoctorReport& report);

}  // namespace corostack::diagnose
