#pragma once
// One mapping of the target's address space, as /proc/PID/maps or a core's
// NT_FILE note and program headers describe it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/remote_addr.hpp"
#include "base/result.hpp"

namespace corostack {

struct MemoryMap {
  RemoteAddr start;
  RemoteAddr end;  // exclusive
  bool readable = false;
  bool writable = false;
  bool executable = false;
  bool shared = false;
  uint64_t file_offset = 0;  // offset into the backing file, bytes
  uint64_t inode = 0;
  std::string path;  // "" for anonymous, "[stack]", "[vdso]", or an absolute path

  uint64_t size() const { return end - start; }
  bool contains(RemoteAddr a) const { return a >= start && a < end; }
  bool is_file_backed() const { return !path.empty() && path[0] == '/'; }
};

// Parses the text of /proc/PID/maps. Malformed lines are skipped; the count of
// skipped lines is returned through `skipped` when given.
std::vector<MemoryMap> parse_proc_maps(std::string_view text, size_t* skipped = nullptr);

// The mapping containing `addr`, if any. `maps` must be sorted by start.
const MemoryMap* find_map(const std::vector<MemoryMap>& maps, RemoteAddr addr);

}  // namespace corostack
