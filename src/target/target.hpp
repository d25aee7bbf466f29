#pragma once
// "A process I can read": a live process, a core file, or an in-memory fake.
// Everything above this layer sees only this interface.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "target/memory_map.hpp"
#include "target/memory_reader.hpp"
#include "target/registers.hpp"

namespace corostack {

enum class TargetKind { kLive, kCore, kFake };

// One thread as captured: identity, scheduler state and registers.
struct ThreadState {
  pid_t tid = 0;
  std::string name;         // comm; may be empty (kernel cores do not record it per thread)
  char state = '?';         // /proc state letter before the pause: R, S, D, T, t, Z, ...
  bool regs_valid = false;  // false when the thread could not be stopped or read
  // Not stopped (blocked in a system call, read from /proc and memory): only
  // rip, rsp, orig_rax and the syscall arguments in `regs` are real.
  bool regs_partial = false;
  // --nonblocking: read while it may have been running (never stopped, or it
  // left its system call during the read). What was read of it may be torn.
  bool may_be_torn = false;
  X86_64Regs regs{};
  std::string error;  // why registers are missing, when they are
};

struct AuxvEntry {
  uint64_t type = 0;
  uint64_t value = 0;
};

// Memory bytes copied during a capture (e.g. the top of each stack), served in
// preference to the target after the target has been resumed.
struct CapturedRegion {
  RemoteAddr start;
  std::vector<std::byte> bytes;
};

struct CaptureOptions {
  size_t max_stack_bytes = 512 * 1024;  // per thread, copied from the stack pointer upward
  // Called once with the target's memory while its threads are stopped (live)
  // or at once (core, fake): for walkers that need a consistent view of data
  // the program mutates, like Python's frame lists. Keep it short: it runs
  // inside the pause.
  std::function<void(const MemoryReader&)> while_paused;
  // Live targets: run while_paused once before the pause, to learn which
  // pages it reads; the pause copies those pages in a few batched calls and
  // ends; while_paused then runs again on that copy. If it needs a page the
  // copy lacks (the target changed in between), a second pause runs it
  // inside, as without warm_up. Trades two extra walks outside the pause for
  // a pause as short as the copy, when the walk reads thousands of scattered
  // pages (asyncio tasks). Each run overwrites what the previous one stored.
  bool warm_up = false;
  // Live targets: also stop threads blocked in a system call. By default they
  // are left alone (PTRACE_INTERRUPT would make epoll_wait, poll, select...
  // return EINTR in the target) and read from /proc/TID/syscall and memory;
  // if one of them moves while we read, the capture is redone stopping all.
  bool stop_blocked_threads = false;
  // Live targets: stop nothing at all. Running threads get no registers (no
  // native stack); blocked threads are read as above but not re-read if they
  // move. Threads that ran while read are marked may_be_torn.
  bool nonblocking = false;
};

struct Capture {
  std::vector<ThreadState> threads;     // sorted by tid, main thread first when known
  std::vector<CapturedRegion> regions;  // stack copies
  uint64_t pause_ns = 0;                // how long the target was stopped (live only)
  size_t threads_left_running = 0;      // blocked threads read without stopping them
  std::vector<std::string> warnings;
};

class Target : public MemoryReader {
 public:
  virtual TargetKind kind() const = 0;
  virtual pid_t pid() const = 0;
  // Command name (comm / prpsinfo fname) and the full command line when known.
  virtual std::string command_name() const = 0;
  virtual std::string command_line() const { return {}; }
  // Path of the main executable as the target sees it.
  virtual std::string exe_path() const = 0;
  virtual const std::vector<MemoryMap>& maps() const = 0;
  virtual std::vector<AuxvEntry> auxv() const { return {}; }
  // A path on our filesystem through which the target's file `path` can be
  // opened (live: via /proc/PID/root; core: as is, or --exe for the executable).
  virtual std::string host_path(const std::string& path) const { return path; }
  // The same for the file behind one mapping. Live processes override it to
  // reach files deleted or replaced since they were mapped.
  virtual std::string mapping_host_path(const MemoryMap& m) const { return host_path(m.path); }
  // Threads with registers, stopping a live target as briefly as possible.
  virtual Result<Capture> capture(const CaptureOptions& options) = 0;
  // Calls on_run(first_page, count) for each stretch of the 4 KiB pages of
  // [start, start + pages * 4096) that hold data, in order: touched pages of
  // a live process (/proc/PID/pagemap), stored bytes of a core (not its
  // sparse holes). Memory never written reads as zeros, so a reader looking
  // for objects can skip the rest. False when this cannot be told (then
  // every page may hold data).
  virtual bool data_runs(uint64_t start, uint64_t pages,
                         const std::function<void(uint64_t first, uint64_t count)>& on_run) const {
    (void)start, (void)pages, (void)on_run;
    return false;
  }
};

}  // namespace corostack
