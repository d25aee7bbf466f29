#pragma once
// How findings name things: a thread (`thread 1235 "worker-a"`) and a frame
// (`transfer at bank.c:41`).
#include <sys/types.h>

#include <string>

#include "snapshot/snapshot.hpp"

namespace corostack::diagnose {

std::string thread_label(const ProcessSnapshot& snap, pid_t tid);

// "transfer at bank.c:41", "transfer+0x1f", "0x7f00…" for a frame.
std::string frame_text(const Frame& f);

// The snapshot's thread, or nullptr.
const ThreadSnapshot* find_thread(const ProcessSnapshot& snap, pid_t tid);

}  // namespace corostack::diagnose
