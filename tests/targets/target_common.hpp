#pragma once
// Shared by the test targets: the ready/truth protocol the e2e harness expects.
//
//   1. every thread calls about_to_block() right before its blocking call;
//   2. main waits for that, then until the kernel shows each thread asleep in
//      the expected system call (so a dump cannot catch a thread mid-way);
//   3. main writes the truth file atomically, then "ready\n" to the ready fd.
#include <sys/types.h>

#include <string>
#include <vector>

namespace target_common {

struct ThreadTruth {
  pid_t tid = 0;
  std::vector<std::string> chain;  // our functions, innermost first
  std::vector<int> syscalls;       // acceptable syscall numbers while blocked
};

// Called by a thread right before it blocks; records it for the main thread.
void about_to_block(ThreadTruth truth);

// Blocks until `count` threads have called about_to_block(); returns them.
std::vector<ThreadTruth> wait_for_threads(size_t count);

// Waits (bounded) until each thread sleeps (state S) in one of its syscalls.
// Exits the process with a message on timeout: a target that is not in its
// known state must not pretend to be ready.
void wait_until_blocked(const std::vector<ThreadTruth>& threads);

// Writes `pid`, `exe` and one `thread <tid> <comm> <chain>` line per thread to
// truth_path.tmp, then renames it to truth_path.
void write_truth(const std::string& truth_path, const std::vector<ThreadTruth>& threads);

// Writes "ready\n" to ready_fd and closes it.
void signal_ready(int ready_fd);

// Exits with a message on stderr.
[[noreturn]] void die(const std::string& what);

}  // namespace target_common
