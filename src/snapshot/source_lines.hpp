#pragma once
// The source line each Python frame executes, as pystack and gdb's py-bt
// show it under the frame (`--source N` adds N lines of context around it,
// as py-list does). Read from the file the code object names: through
// /proc/PID/root for a live process (its own filesystem view), as is for a
// core. Files are untrusted: read up to kMaxSourceBytes, lines capped at
// kMaxLineBytes, one read per file per dump. A file modified after the
// process started (live) or after the core was written is marked: its lines
// may not be the ones that ran.
#include <cstdint>
#include <optional>

#include "snapshot/snapshot.hpp"
#include "target/target.hpp"

namespace corostack {

inline constexpr size_t kMaxSourceBytes = 8 << 20;
inline constexpr size_t kMaxLineBytes = 400;

// `newer_than_s`: seconds since the epoch after which a file counts as
// changed (the process's start, or the core's mtime); nullopt: not checked.
void attach_source_lines(ProcessSnapshot& snap, const Target& target, int context,
                         std::optional<int64_t> newer_than_s);

// When the live process `pid` started, in seconds since the epoch.
std::optional<int64_t> process_start_time(pid_t pid);

}  // namespace corostack
