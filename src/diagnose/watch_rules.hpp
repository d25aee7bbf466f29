#pragma once
// Finding 6 of `doctor --watch`: two reads some seconds apart, and each
// thread's CPU time in between, tell stuck from working.
//  - spinning: ≥ 50 % of a CPU over the watch (≥ 10 % when runnable at both
//    reads: a loaded machine starves busy threads), on the same line (the
//    innermost Python frame, or native function) at both reads: a busy loop;
//  - stuck in the kernel: in uninterruptible sleep (D) in the same system
//    call at both reads, using no CPU;
//  - threads that waited in the same call without CPU (idle workers, a loop
//    in its selector) are not findings: they are summed up as healthy.
#include "diagnose/finding.hpp"
#include "diagnose/process_resources.hpp"
#include "snapshot/snapshot.hpp"

namespace corostack::diagnose {

void check_watch(const ProcessSnapshot& before, const ThreadCpuTimes& cpu_before,
                 const ProcessSnapshot& after, const ThreadCpuTimes& cpu_after, double seconds,
                 DoctorReport& report);

}  // namespace corostack::diagnose
