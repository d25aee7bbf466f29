#pragma once
// Finding 3 of `doctor`: an asyncio event loop whose thread is not in its
// selector but inside a task or callback that blocks (a system call in which
// it sleeps: time.sleep, a blocking socket or file read, a lock) — every
// other task on that loop waits. With --watch, a loop found in the same
// callback frame at both reads is blocked by CPU work as well. A loop idle
// in its selector is healthy.
//
// How a loop thread is recognised from its Python frames (CPython's
// Lib/asyncio, 3.8-3.15): BaseEventLoop._run_once in base_events.py runs the
// loop; it waits in the selector's select() (selectors.py); callbacks and
// task steps run under Handle._run (events.py).
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "diagnose/finding.hpp"
#include "snapshot/snapshot.hpp"

namespace corostack::diagnose {

// len(loop._ready) by loop address, for the loops that could be read.
using ReadyQueues = std::map<uint64_t, size_t>;

// `earlier`: the first read of --watch (nullptr without it).
void check_event_loops(const ProcessSnapshot& snap, const ReadyQueues& ready,
                       const ProcessSnapshot* earlier, double watch_seconds, DoctorReport& report);

}  // namespace corostack::diagnose
