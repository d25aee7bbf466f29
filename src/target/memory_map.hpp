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

  // Sets the four flags from a /proc maps permission field such as "r-xp".
  void set_permissions(std::string_view perms) {
    readable = perms.size() > 0 && perms[0] == 'r';
    writable = perms.size() > 1 && perms[1] == 'w';
    executable = perms.size() > 2 && perms[2] == 'x';
    shared = perms.size() > 3 && perms[3] == 's';
  }

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
