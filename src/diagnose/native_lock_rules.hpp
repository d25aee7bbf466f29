#pragma once
// Finding 1 of `doctor`: cycles among pthread lock waits are deadlocks
// (reported once per cycle, any length), a mutex whose owner thread is gone
// is abandoned. Waits on a lock whose holder runs or waits on something else
// are contention, not findings: they are counted among the healthy checks.
#include <functional>
#include <string>
#include <vector>

#include "diagnose/finding.hpp"
#include "diagnose/native_lock_waits.hpp"
#include "snapshot/snapshot.hpp"

namespace corostack::diagnose {

// `lock_name` names a lock address (a data symbol) or returns "".
void check_native_locks(const std::vector<NativeLockWait>& waits, const ProcessSnapshot& snap,
                        const std::function<std::string(uint64_t)>& lock_name,
                        DoctorReport& report);

// "mutex owl_mutex (0x5581…)" or "mutex 0x7f…": how evidence names a lock.
std::string lock_text(const WaitEdge& e);

}  // namespace corostack::diagnose
