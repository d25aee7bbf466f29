#pragma once
// The analysis sandbox. Everything corostack parses — the target's memory, the
// ELF and DWARF files it maps, a core — may be written by an attacker (a
// compromised service, a container), and root is the usual caller. So before
// any of it is read, a command restricts itself: no new privileges, and a
// seccomp filter that allows what capture and analysis need and refuses the
// rest with EPERM:
//  - refused: execve/execveat, fork (clone without CLONE_THREAD, clone3),
//    sockets (except a NETLINK_SOCK_DIAG query, which names a UNIX socket's
//    peer), opening files for writing or creating them, unlink/rename/chmod
//    and friends, process_vm_writev, ptrace requests that write (POKE*,
//    SET*REGS*), signals to other processes (except a `-- CMD` child), new
//    executable memory, prctl, bpf, perf_event_open, io_uring, mount,
//    set*id, capset, terminal input injection (only TCGETS/TCSETS*/TIOCGWINSZ
//    /FIONREAD ioctls pass);
//  - kept: reading (read-only opens: /proc, the lazily loaded DWARF of
//    separate debug files, Python source lines), process_vm_readv, ptrace
//    requests that stop and read, memory management, writes to descriptors
//    already open (stdout, stderr, an output file opened before, gcore's
//    temporary core, which the unsandboxed parent renames into place).
// Read-only opens stay because the capture re-lists /proc and libdw opens
// debug files on first use; in secure mode they carry only the caller's
// rights (caller_identity.hpp). Installed with TSYNC (every thread).
#include <sys/types.h>

#include "base/result.hpp"

namespace corostack {

struct SandboxOptions {
  pid_t child = 0;  // a `-- CMD` child corostack may still signal, or 0
  // `trace`: the processes a started command forks are killed with it at the
  // end, and their pids are not known in advance: kill(2) to any pid.
  bool signal_any_process = false;
  // `trace`'s in-kernel backend, once its programs are loaded and attached:
  // bpf() for map reads and updates and object info only (never loading or
  // attaching a program), and epoll for the ring buffer.
  bool bpf_maps = false;
};

// Installs the filter. Honours COROSTACK_NO_SANDBOX=1 (benchmarks and
// debugging; ignored in secure mode). An error means the kernel refused it
// (no seccomp): reported by the caller as a warning, the command goes on.
Status enter_analysis_sandbox(const SandboxOptions& options = {});

// Whether this process runs under the filter.
bool sandbox_active();

}  // namespace corostack
