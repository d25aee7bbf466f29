#include "render/async_summary.hpp"

#include <algorithm>
#include <map>

namespace corostack {

using asyncio::AsyncioState;
using asyncio::AsyncTask;
using asyncio::TaskState;

std::string innermost_awaitable(const AsyncTask& t) {
  // A task awaited is counted as "Task", not by name: one row per kind of
  // wait, however many tasks there are.
  std::string awaited = t.awaiting_task ? std::string("Task") : t.awaiting_type;
  std::string what = t.stack.empty() ? std::string() : t.stack.front().function;
  if (!awaited.empty()) what += (what.empty() ? "" : " \u2192 ") + awaited;
  return what.empty() ? std::string("?") : what;
}

std::vector<LoopSummary> summarize_loops(const AsyncioState& s, uint64_t thread_ident) {
  std::vector<LoopSummary> out;
  for (const asyncio::AsyncLoop& loop : s.loops) {
    if (loop.thread_id != thread_ident) continue;
    LoopSummary sum;
    sum.loop = &loop;
    if (loop.current_task) sum.running = &s.tasks[*loop.current_task];
    std::map<std::string, size_t> counts;
    for (const AsyncTask& t : s.tasks) {
      if (t.loop != loop.address || &t == sum.running) continue;
      if (t.state != TaskState::kPending) {
        ++sum.finished;
        continue;
      }
      ++sum.suspended;
      ++counts[innermost_awaitable(t)];
    }
    sum.by_awaitable.assign(counts.begin(), counts.end());
    std::stable_sort(sum.by_awaitable.begin(), sum.by_awaitable.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    out.push_back(std::move(sum));
  }
  return out;
}

}  // namespace corostack
