#include "diagnose/wait_graph.hpp"

#include <algorithm>
#include <unordered_map>

namespace corostack::diagnose {

std::vector<std::vector<size_t>> wait_cycles(const std::vector<WaitEdge>& edges) {
  std::unordered_map<pid_t, size_t> out;  // waiter → its edge
  for (size_t i = 0; i < edges.size(); ++i)
    if (edges[i].holder != 0) out.emplace(edges[i].waiter, i);

  // 0 unvisited, 1 on the current walk, 2 done.
  std::unordered_map<pid_t, int> mark;
  std::vector<std::vector<size_t>> cycles;
  std::vector<pid_t> starts;
  for (const auto& [waiter, e] : out) starts.push_back(waiter);
  std::sort(starts.begin(), starts.end());
  for (pid_t start : starts) {
    if (mark[start] != 0) continue;
    std::vector<size_t> path;  // edges walked from start
    pid_t t = start;
    while (true) {
      mark[t] = 1;
      auto it = out.find(t);
      if (it == out.end()) break;
      path.push_back(it->second);
      pid_t next = edges[it->second].holder;
      int m = mark[next];
      if (m == 1) {  // closed a cycle: the edges from `next`'s own edge on
        auto first = std::find_if(path.begin(), path.end(),
                                  [&](size_t e) { return edges[e].waiter == next; });
        std::vector<size_t> cycle(first, path.end());
        auto lowest = std::min_element(cycle.begin(), cycle.end(), [&](size_t a, size_t b) {
          return edges[a].waiter < edges[b].waiter;
        });
        std::rotate(cycle.begin(), lowest, cycle.end());
        cycles.push_back(std::move(cycle));
        break;
      }
      if (m == 2) break;
      t = next;
    }
    for (size_t e : path) mark[edges[e].waiter] = 2;
    mark[t] = 2;
  }
  return cycles;
}

}  // namespace corostack::diagnose
