#pragma once
// Which system call a thread is blocked in, decoded from its registers.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "target/registers.hpp"

namespace corostack {

struct SyscallInfo {
  int64_t nr = -1;
  std::string name;            // "syscall_N" when the number is unknown
  std::vector<uint64_t> args;  // as many as the call takes; 6 when unknown
  // Live targets: what its first argument, a file descriptor, is, as
  // `strace -yy` shows it ("pipe:[88213]", "TCP:[127.0.0.1:8080->...]");
  // empty when the call takes no fd first or it could not be named.
  std::string fd_name;
};

// Whether the call's first argument is a file descriptor it waits on or
// works with (read, recvfrom, accept, epoll_wait, ...).
bool first_arg_is_fd(int64_t nr);

// Name of x86-64 system call `nr`, or empty when unknown.
std::string syscall_name(int64_t nr);

// The call a stopped thread is inside, or nullopt when it is running user code.
// `state` is the /proc state letter from before the pause ('?' for cores).
std::optional<SyscallInfo> blocked_syscall(const X86_64Regs& regs, char state);

}  // namespace corostack
