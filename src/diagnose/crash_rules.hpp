#pragma once
// Finding 8 of `doctor` (cores): the fatal signal and its details, the
// thread that received it with its native and Python frames, abort()'s
// message, a stack overflow.
#include "diagnose/finding.hpp"
#include "snapshot/snapshot.hpp"

namespace corostack::diagnose {

void check_crash(const ProcessSnapshot& snap, DoctorReport& report);

}  // namespace corostack::diagnose
