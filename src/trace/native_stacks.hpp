#pragma once
// --native (strace -k): the native stack of a thread stopped at a system
// call's entry, unwound with the same libdwfl unwinder as `dump --native`
// (CFI, frame-pointer fallback) from the registers ptrace reads, and named
// from ELF symbol tables only (as strace -k does: no DWARF, so each call
// costs an unwind, not a DWARF load). One session per traced tgid, made on
// first use; remade (at most every 100 ms) when a pc falls outside every
// module it knows (a library loaded since), and dropped at exec and exit.
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"

namespace corostack::trace {

struct NativeCallFrame {
  uint64_t pc = 0;
  std::string module;                   // path of the ELF file; empty when pc is in none
  uint64_t module_offset = 0;           // pc - the module's load address: strace -k's [0x...]
  std::optional<std::string> function;  // demangled ELF symbol covering pc
  uint64_t function_offset = 0;         // pc - that symbol's start
};

class NativeStacks {
 public:
  explicit NativeStacks(size_t max_frames);
  ~NativeStacks();
  NativeStacks(const NativeStacks&) = delete;
  NativeStacks& operator=(const NativeStacks&) = delete;

  // `tid` must be ptrace-stopped by us. Innermost frame first.
  Result<std::vector<NativeCallFrame>> stack(pid_t tgid, pid_t tid);
  // The process exec'd or exited: its modules are gone.
  void forget(pid_t tgid);

 private:
  struct Process;
  Result<Process*> process(pid_t tgid, bool refresh);
  size_t max_frames_;
  std::unordered_map<pid_t, std::unique_ptr<Process>> processes_;
};

}  // namespace corostack::trace
