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
};

// Name of x86-64 system call `nr`, or empty when unknown.
std::string syscall_name(int64_t nr);

// The call a stopped thread is inside, or nullopt when it is running user code.
// `state` is the /proc state letter from before the pause ('?' for cores).
std::optional<SyscallInfo> blocked_syscall(const X86_64Regs& regs, char state);

}  // namespace corostack
