#pragma once
// Finding 7 of `doctor` (live processes): open files near RLIMIT_NOFILE
// (the next accept() or open() fails with EMFILE) and zombie children (a
// parent that never calls wait()); and the per-thread CPU times the --watch
// rules compare. All from /proc; nothing in the target is touched.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "diagnose/finding.hpp"

namespace corostack::diagnose {

struct ProcessResources {
  std::optional<size_t> open_fds;
  std::optional<uint64_t> fd_soft_limit;  // nullopt: unlimited or unknown
  std::vector<pid_t> zombie_children;
  std::vector<std::string> errors;  // what could not be read
};

ProcessResources read_process_resources(pid_t pid);

// The soft limit from /proc/PID/limits text ("Max open files  1024  4096  files").
std::optional<uint64_t> parse_open_files_limit(const std::string& limits_text);

void check_resources(const ProcessResources& r, DoctorReport& report);

// utime + stime of each thread, in clock ticks, read at `when_ns` (CLOCK_MONOTONIC).
struct ThreadCpuTimes {
  bool read = false;
  uint64_t when_ns = 0;
  std::unordered_map<pid_t, uint64_t> ticks;
};

ThreadCpuTimes read_thread_cpu_times(pid_t pid);

}  // namespace corostack::diagnose
