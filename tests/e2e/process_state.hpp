#pragma once
// What /proc says about a target after corostack ran against it: invariant 1
// ("never left stopped or traced") is checked through these.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace e2e {

// TracerPid of a process (its main thread), 0 when untraced or gone.
long tracer_of(pid_t pid);

// Checks State and TracerPid of every thread; describes the first one that
// is traced or stopped (t/T), or returns "" when all run free (or the
// process is gone).
std::string traced_or_stopped_thread(pid_t pid);

// voluntary + nonvoluntary context switches of one thread; -1 if unreadable.
// A thread asleep in a system call that nothing interrupts adds none.
long context_switches(pid_t pid, pid_t tid);

// Whether an eBPF program with this id is still loaded in the kernel.
bool bpf_program_exists(uint32_t id);

// Ids of the eBPF programs process `pid` holds file descriptors of (from
// /proc/PID/fdinfo), and how many BPF links (attachments) it holds.
struct BpfHandles {
  std::vector<uint32_t> program_ids;
  size_t links = 0;
};
BpfHandles bpf_handles_of(pid_t pid);

}  // namespace e2e
