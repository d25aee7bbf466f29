#pragma once
// Finding 4 of `doctor`: the GIL. Threads asleep waiting for it while another
// holds it are contention (a warning naming the holder and what it runs);
// with two reads (--watch), whether it changed hands in between. No waiters,
// or a free-threaded build running without a GIL, is a healthy line. Pure.
#include "diagnose/finding.hpp"
#include "diagnose/python_waits.hpp"
#include "snapshot/snapshot.hpp"

namespace corostack::diagnose {

// `first`: the GIL at the first of two reads `watch_seconds` apart, or null.
void check_gil(const GilFacts& gil, const GilFacts* first, double watch_seconds,
               const ProcessSnapshot& snap, DoctorReport& report);

// "match at __init__.py:167 ← hog at py_locks.py:124": a thread's innermost
// Python frames, with the native function on top when it has a name.
std::string running_text(const ThreadSnapshot& t);

}  // namespace corostack::diagnose
