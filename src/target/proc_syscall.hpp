#pragma once
// /proc/PID/task/TID/syscall: what a thread is doing in the kernel, readable
// without stopping it. "N a1 .. a6 SP PC" while it is blocked in system call
// N; "-1 SP PC" when it entered the kernel otherwise (a fault, an
// interrupt); "running" when it is on a CPU. corostack reads blocked threads
// from this and their memory instead of interrupting them (invariant 7):
// PTRACE_INTERRUPT makes epoll_wait, poll, select... return EINTR.
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace corostack {

struct SyscallSample {
  int64_t nr = -1;  // system call number; -1: in the kernel, not in a system call
  std::array<uint64_t, 6> args{};
  uint64_t sp = 0;
  uint64_t pc = 0;  // user pc: the instruction after `syscall`
  bool operator==(const SyscallSample&) const = default;
};

// nullopt for "running", unreadable files and malformed text.
std::optional<SyscallSample> parse_proc_syscall(std::string_view text);
std::optional<SyscallSample> read_proc_syscall(pid_t pid, pid_t tid);

}  // namespace corostack
