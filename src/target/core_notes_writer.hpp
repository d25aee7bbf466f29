#pragma once
// The PT_NOTE contents of a core file written from a live process, laid out
// the way the kernel's ELF core dumper writes them so that gdb, elfutils and
// corostack's own core reader all find what they expect:
//   main thread: NT_PRSTATUS, NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE,
//                NT_FPREGSET, NT_X86_XSTATE
//   each other thread: NT_PRSTATUS, NT_FPREGSET, NT_X86_XSTATE
//   NT_X86_XSAVE_LAYOUT, as Linux 6.11+ writes it
//   then one COROSTACK note (format in core_notes.hpp, shared with the
//   reader) with every thread's name and scheduler state, which kernel cores
//   do not record; its descsz is the exact record total.
#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "target/memory_map.hpp"
#include "target/registers.hpp"

namespace corostack {

// One thread as the notes describe it.
struct DumpThread {
  pid_t tid = 0;
  char state = '?';  // /proc state letter read before the pause
  std::string name;  // comm
  bool regs_valid = false;
  X86_64Regs regs{};
  bool fpregs_valid = false;
  std::array<std::byte, 512> fpregs{};  // struct user_fpregs_struct (FXSAVE layout)
  std::vector<std::byte> xstate;        // NT_X86_XSTATE payload; empty when unavailable
  uint64_t utime_ticks = 0;             // clock ticks, as /proc/.../stat reports them
  uint64_t stime_ticks = 0;
};

// The process-wide facts for NT_PRPSINFO and the shared NT_PRSTATUS fields.
struct DumpProcessInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgrp = 0;
  pid_t sid = 0;
  char state = '?';
  int nice = 0;
  uint64_t flags = 0;  // task flags (PF_*)
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string comm;
  std::string args;             // command line, arguments separated by spaces
  std::vector<std::byte> auxv;  // raw /proc/PID/auxv, AT_NULL entry included
  uint64_t cutime_ticks = 0;    // children's times, shared by every thread's NT_PRSTATUS
  uint64_t cstime_ticks = 0;
  // Open fds and what they are (strace -yy text), for the COROSTACK fds note.
  std::vector<std::pair<int, std::string>> fds;
};

// All notes of the core. threads[0] is the thread gdb selects first; callers
// put the main thread there. `maps` feeds NT_FILE (file-backed mappings only).
std::vector<std::byte> build_dump_notes(const DumpProcessInfo& process,
                                        const std::vector<DumpThread>& threads,
                                        const std::vector<MemoryMap>& maps);

}  // namespace corostack
