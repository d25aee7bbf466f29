#pragma once
// `corostack gcore`: writes an ELF core file of a live process that gdb,
// elfutils and corostack's own core reader can open, stopping the process
// only while its registers and memory are copied.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/progress.hpp"
#include "base/result.hpp"
#include "target/core_output_file.hpp"
#include "target/live_process.hpp"

namespace corostack {

struct CoreWriteOptions {
  // Also dump file-backed memory the kernel leaves out by default (read-only
  // file data such as code, and shared mappings of files on disk), for when
  // the files may change or be gone by the time the core is read.
  bool include_file_backed_readonly = false;
  // How long to wait for every thread to stop.
  std::chrono::microseconds stop_deadline{std::chrono::milliseconds(200)};
  // Memory copied during the pause is staged in RAM and written to the file
  // after the target resumes; past this many bytes (at least 1 MiB) the rest
  // is written while paused. 0: a quarter of MemAvailable.
  size_t staging_limit_bytes = 0;
  // The target's open fds and what each is, recorded in the core's COROSTACK
  // fds note (the caller names them: the target layer does not know sockets).
  std::function<std::vector<std::pair<int, std::string>>(pid_t)> fd_table;
  // How far writing the copied memory got, once the target runs again.
  ProgressFn progress;
};

struct CoreWriteStats {
  uint64_t pause_ns = 0;           // how long the target was stopped
  uint64_t bytes_written = 0;      // bytes written to the file (untouched pages are holes)
  size_t threads = 0;              // NT_PRSTATUS notes
  size_t segments = 0;             // PT_LOAD program headers
  size_t segments_unreadable = 0;  // segments with at least one page zero-filled
  std::vector<std::string> warnings;
};

// Writes the core to `out_path` (via `out_path`.tmp and a rename; any existing
// file is replaced). The target is never left stopped: every path, including
// errors and exceptions, resumes it through PauseGuard.
Result<CoreWriteStats> write_core(LiveProcess& proc, const std::string& out_path,
                                  const CoreWriteOptions& opts = {});

// Writes the core into `out`, already open, and finishes it (size set,
// closed) without renaming it into place: for a writer that runs sandboxed
// while the process that opened the file publishes it.
Result<CoreWriteStats> write_core(LiveProcess& proc, CoreOutputFile& out,
                                  const CoreWriteOptions& opts = {});

}  // namespace corostack
