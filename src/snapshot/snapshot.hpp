#pragma once
// The model every renderer consumes: process → threads → frames, plus what
// could not be read. Built by the walkers; knows nothing about output formats.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "native/syscalls.hpp"
#include "target/target.hpp"

namespace corostack {

enum class FrameKind { kNative };

struct Frame {
  FrameKind kind = FrameKind::kNative;
  uint64_t pc = 0;
  std::optional<std::string> function;
  std::optional<uint64_t> offset;
  std::string module;
  std::string file;
  int line = 0;
  bool inlined = false;
};

struct ThreadSnapshot {
  pid_t tid = 0;
  std::string name;
  char state = '?';
  bool is_main = false;
  std::optional<SyscallInfo> syscall;
  std::vector<Frame> frames;        // innermost first
  std::vector<std::string> errors;  // non-empty: this thread's stack is incomplete
};

struct ProcessSnapshot {
  TargetKind source = TargetKind::kLive;
  std::string core_path;
  pid_t pid = 0;
  std::string command;
  std::string command_line;
  std::string exe;
  uint64_t pause_ns = 0;
  std::vector<ThreadSnapshot> threads;
  std::vector<std::string> warnings;

  bool complete() const {
    for (const auto& t : threads)
      if (!t.errors.empty()) return false;
    return !threads.empty();
  }
};

// Human name for a /proc state letter ("sleeping", "running", ...).
const char* state_name(char state);

}  // namespace corostack
