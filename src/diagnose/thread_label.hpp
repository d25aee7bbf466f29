#pragma once
// How findings name a thread: `thread 1235 "worker-a"`.
#include <sys/types.h>

#include <string>

#include "snapshot/snapshot.hpp"

namespace corostack::diagnose {

std::string thread_label(const ProcessSnapshot& snap, pid_t tid);

// The snapshot's thread, or nullptr.
const ThreadSnapshot* find_thread(const ProcessSnapshot& snap, pid_t tid);

}  // namespace corostack::diagnose
