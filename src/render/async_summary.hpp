#pragma once
// `dump --async`: per thread, the asyncio loop it runs, the task running on
// it, and its suspended tasks counted by their innermost awaitable (what a
// hung service's tasks are stuck on, in one glance).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/asyncio_walker.hpp"

namespace corostack {

struct LoopSummary {
  const asyncio::AsyncLoop* loop = nullptr;
  const asyncio::AsyncTask* running = nullptr;  // the loop's current task
  size_t suspended = 0;                         // pending tasks other than the running one
  size_t finished = 0;                          // done or cancelled, still referenced
  // (innermost awaitable, count), most frequent first, then by name.
  std::vector<std::pair<std::string, size_t>> by_awaitable;
};

// "sleep → Future", "Queue.get → Future", "chain_step → Task": the
// innermost coroutine frame and what it waits on.
std::string innermost_awaitable(const asyncio::AsyncTask& t);

// The loops running on the thread with this ident; ident 0 selects loops
// that run on no thread (not running, or their thread is unknown).
std::vector<LoopSummary> summarize_loops(const asyncio::AsyncioState& s, uint64_t thread_ident);

}  // namespace corostack
