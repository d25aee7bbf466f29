#pragma once
// What a core's notes say about the process and its threads beyond
// registers, read from /proc *before* the pause: it does not need the target
// stopped, and a thread's state must be the one it was in, not "traced".
#include <sys/types.h>

#include <string>
#include <unordered_map>

#include "base/result.hpp"
#include "target/core_dump_layout.hpp"
#include "target/core_notes_writer.hpp"

namespace corostack {

// Fields of a /proc/.../stat line that cores record.
struct DumpStatFields {
  std::string comm;
  char state = '?';
  pid_t ppid = 0, pgrp = 0, sid = 0;
  uint64_t flags = 0;
  uint64_t utime = 0, stime = 0, cutime = 0, cstime = 0;  // clock ticks
  int nice = 0;
  uint64_t start_ticks = 0;  // starttime: clock ticks after boot; 0 when the line ends early
};
Result<DumpStatFields> parse_dump_stat(const std::string& text);

// Process-wide facts: ids, state, credentials, command line, auxv.
Result<DumpProcessInfo> read_dump_process_info(pid_t pid);

// Mappings whose VmFlags in /proc/PID/smaps say "dd" (MADV_DONTDUMP) or "io"
// (device memory): the kernel leaves them out of cores, and so do we. Read
// before the pause (smaps is slow); empty when unreadable.
std::vector<DumpExclusion> read_dump_exclusions(pid_t pid);

// Each thread listed now, keyed by tid, with name, state and CPU times
// filled in (registers are read later, inside the pause).
std::unordered_map<pid_t, DumpThread> read_dump_threads(pid_t pid);

}  // namespace corostack
