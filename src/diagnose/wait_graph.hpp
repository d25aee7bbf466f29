#pragma once
// Cycles in a wait-for graph. A blocked thread waits for one thing at a time,
// so each waiter has at most one outgoing edge (to the holder of what it
// waits for): following edges from any thread either ends or enters a cycle,
// and every cycle is found by one walk per thread, in linear time.
#include <vector>

#include "diagnose/finding.hpp"

namespace corostack::diagnose {

// Each cycle as indices into `edges`, in wait order (edges[c[0]].holder is
// edges[c[1]].waiter, ...), starting at the edge whose waiter has the lowest
// tid so the report is the same from run to run. Edges without a holder, and
// a waiter with several edges (a broken input), are ignored past the first.
std::vector<std::vector<size_t>> wait_cycles(const std::vector<WaitEdge>& edges);

}  // namespace corostack::diagnose
