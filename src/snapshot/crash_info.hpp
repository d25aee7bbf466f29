#pragma once
// Why a core's process died, as gdb ("Program terminated with signal
// SIGSEGV, Segmentation fault.") and pystack ("The process died due
// receiving signal SIGABRT") say it: the fatal signal, what its siginfo
// adds (the faulting address, the sender), the thread that received it,
// a stack overflow recognised from the address, and abort()'s message
// (glibc's __abort_msg: a failed assert, a malloc check) read from memory.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "target/target.hpp"

namespace corostack {

struct CrashInfo {
  int signo = 0;
  std::string signal_name;  // "SIGSEGV"
  std::string description;  // "Segmentation fault"
  std::optional<int> code;
  std::string code_text;  // "address not mapped to object", "sent by tgkill from pid 42", ...
  std::optional<uint64_t> fault_address;
  pid_t thread = 0;             // the thread that received it (0: unknown)
  bool stack_overflow = false;  // the fault hit the guard below that thread's stack
  std::string abort_message;    // glibc's __abort_msg, when set (escaped on output)

  // "Program terminated with signal SIGSEGV, Segmentation fault."
  std::string headline() const;
  // "address not mapped to object at 0x0; stack overflow", or "".
  std::string detail() const;
};

// Nullopt for live targets and for cores written without a fatal signal
// (corostack gcore, gdb's gcore).
std::optional<CrashInfo> read_crash_info(const Target& target);

}  // namespace corostack
