#pragma once
// The process that fills the cache of inflated debug files
// (native/debug_cache.hpp): forked before the analysis sandbox, it reads
// "build-id path" lines from a pipe, inflates the trusted files named, and
// exits at end of file. The command waits for it when it ends (a first run
// pays the inflating once more; later runs read the copy). Nothing is started
// when the cache is off or has no home.
#include <sys/types.h>

namespace corostack {

// Starts the writer once per process; later calls do nothing. The pipe's
// write end is handed to request_debug_cache, and closed and waited for at
// exit.
void start_debug_cache_writer();

}  // namespace corostack
