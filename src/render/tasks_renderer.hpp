#pragma once
// `corostack tasks` output: the `python -m asyncio ps` table, the `pstree`
// tree, and JSON (docs/json-schema.md, "tasks"). Task and function names are
// target data: escaped for the terminal, sanitised to UTF-8 in JSON.
#include <ostream>
#include <string>
#include <vector>

#include "snapshot/snapshot.hpp"

namespace corostack {

// One row per (task, awaiter) pair; a task nobody awaits gets one row with
// an empty awaiter chain and awaiter id 0x0.
void render_tasks_table(const ProcessSnapshot& snap, std::ostream& out);

// The await tree; false (and nothing printed) when the graph has cycles.
bool render_tasks_tree(const ProcessSnapshot& snap, std::ostream& out);

// "cycle: A → B → A" lines, one per cycle (names, or ids for unnamed tasks).
std::vector<std::string> describe_cycles(const ProcessSnapshot& snap);

// "Coroutines never awaited (N):" and one line per coroutine; nothing if none.
void render_unawaited(const ProcessSnapshot& snap, std::ostream& out);

void render_tasks_json(const ProcessSnapshot& snap, std::ostream& out);

}  // namespace corostack
