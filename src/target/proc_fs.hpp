#pragma once
// Small readers for /proc/PID files. They return errors instead of throwing;
// the process may vanish between any two calls.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace corostack {

// Reads a whole (small) file, up to max_bytes. Errors carry kNotFound, kPermission or kIo.
Result<std::string> read_text_file(const std::string& path, size_t max_bytes = 64 << 20);

// Thread ids listed in /proc/PID/task, ascending.
Result<std::vector<pid_t>> list_tasks(pid_t pid);

// Fields of /proc/PID/stat (or /proc/PID/task/TID/stat) that we use.
struct ProcStat {
  std::string comm;
  char state = '?';
  uint64_t flags = 0;
};
Result<ProcStat> parse_proc_stat(const std::string& text);
Result<ProcStat> read_proc_stat(pid_t pid, pid_t tid = 0);

// True for kernel threads (PF_KTHREAD in the stat flags).
inline bool is_kernel_thread(const ProcStat& st) {
  return (st.flags & 0x00200000) != 0;
}

// Maps errno from open/read/ptrace to an ErrorKind.
ErrorKind errno_kind(int err);

}  // namespace corostack
