#pragma once
// Whether the files on disk are the ones the core's process had mapped,
// judged by comparing GNU build-ids: the one on disk against the one in the
// ELF header pages the core itself holds. A mismatch means symbols (and code
// bytes served from disk) would describe a different build.
#include <string>
#include <vector>

#include "base/result.hpp"
#include "target/core_memory.hpp"

namespace corostack {

// Checks --exe PATH against the executable's offset-0 mapping in the core.
// kNotFound when PATH does not exist; kUsage when both build-ids are known and
// differ. Appends a warning when the comparison is impossible.
Status check_exe_override(const CoreMemory& memory, const std::string& exe_path,
                          const std::string& exe_override, std::vector<std::string>& warnings);

// One warning per mapped file (except `skip_path`) that is missing on disk or
// whose build-id differs from the core's. `resolve` maps core paths to host paths.
std::vector<std::string> mapped_file_warnings(const CoreMemory& memory,
                                              const CoreMemory::PathResolver& resolve,
                                              const std::string& skip_path);

}  // namespace corostack
