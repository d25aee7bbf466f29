#pragma once
// A per-user cache of inflated debug files. Distributions ship separate debug
// files with their DWARF compressed (SHF_COMPRESSED, zlib): inflating glibc's
// is half of a `dump --native` (docs/benchmarks.md). The cache keeps, per
// build-id, a copy of such a file with its sections inflated, under
// $XDG_CACHE_HOME/corostack/debug (or ~/.cache/…), bounded in size
// (COROSTACK_DEBUG_CACHE_MIB, default 512; 0 turns it off), oldest files
// evicted first.
//
// Reading it is safe inside the analysis sandbox (opening a file read-only).
// Writing is not done there: the sandbox creates no file. A writer process,
// forked before the sandbox (DebugCacheWriter, cli/), receives "build-id
// path" requests from the analysis and inflates only files it trusts itself:
// regular, root-owned, not writable by others, under /usr/lib/debug, whose own
// build-id is the one named. So a hostile target can neither choose what is
// inflated outside the sandbox nor put its own bytes into the cache.
// Concurrent runs are safe: each copy is written to a unique temporary name
// and renamed into place; libdwfl checks every file's build-id on use.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.hpp"

namespace corostack {

// The cache directory, or nullopt when the cache is off or has no home.
std::optional<std::string> debug_cache_dir();
uint64_t debug_cache_limit_bytes();

// Analysis side. The inflated copy for `build_id` (hex), opened read-only,
// or -1. `*path` gets its name.
int open_cached_debuginfo(const std::string& build_id, std::string* path);
// Asks the writer (if one runs: set_debug_cache_request_fd) to cache `path`
// for `build_id`, unless it is already known not to need it.
void request_debug_cache(const std::string& build_id, const std::string& path);
void set_debug_cache_request_fd(int fd);

// Writer side: validates the request and writes the inflated copy (or a
// marker saying the file has nothing compressed), then evicts the oldest
// entries beyond the size limit.
Status cache_debug_file(const std::string& dir, const std::string& build_id,
                        const std::string& source_path);

}  // namespace corostack
