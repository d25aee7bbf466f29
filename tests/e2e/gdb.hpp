#pragma once
// gdb as an oracle: it writes cores of live targets and prints backtraces of
// cores, which the tests compare with corostack's.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "run_command.hpp"

namespace e2e {

// gdb -batch -nx -p PID -ex 'gcore FILE'. The target is stopped during the
// dump and resumed after; syscalls it was blocked in restart (a nanosleep
// then shows as restart_syscall).
CommandResult gdb_gcore(pid_t pid, const std::filesystem::path& core);

// gdb -batch -nx EXE CORE -ex 'thread apply all bt', arguments printed as
// "...", frames outside main included.
CommandResult gdb_backtraces(const std::string& exe, const std::filesystem::path& core);

struct GdbFrame {
  int index = 0;
  bool has_address = false;  // "#N  0x... in f (...)"; gdb omits it for outer inline frames
  std::string function;      // arguments stripped; "??" when gdb knows no name
};

struct GdbThread {
  pid_t tid = 0;
  std::vector<GdbFrame> frames;  // innermost first
};

// Parses "Thread N (... (LWP tid) ...):" headers and "#N ..." frame lines.
std::vector<GdbThread> parse_gdb_backtraces(const std::string& text);

// Every frame's function, inline frames included, innermost first.
std::vector<std::string> all_functions(const GdbThread& thread);

// One function per physical frame: gdb prints the frames that share a pc
// (a function and what is inlined into it) with the address on the first
// only, so the function that owns the pc is the last frame of such a group.
std::vector<std::string> physical_functions(const GdbThread& thread);

}  // namespace e2e
