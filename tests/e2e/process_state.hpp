#pragma once
// What /proc says about a target after corostack ran against it: invariant 1
// ("never left stopped or traced") is checked through these.
#include <sys/types.h>

#include <string>

namespace e2e {

// TracerPid of a process (its main thread), 0 when untraced or gone.
long tracer_of(pid_t pid);

// Checks State and TracerPid of every thread; describes the first one that
// is traced or stopped (t/T), or returns "" when all run free (or the
// process is gone).
std::string traced_or_stopped_thread(pid_t pid);

}  // namespace e2e
