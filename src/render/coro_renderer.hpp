#pragma once
// `corostack coro` output: one async stack per chain (leaf first), the tree
// grouped by outermost coroutine, and JSON (docs/json-schema.md, "coro").
// Names and promise strings are target data: escaped for the terminal,
// sanitised to UTF-8 in JSON.
#include <ostream>

#include "snapshot/coro_snapshot.hpp"

namespace corostack {

void render_coro_text(const CoroSnapshot& snap, bool promise_values, std::ostream& out);
void render_coro_tree(const CoroSnapshot& snap, bool promise_values, std::ostream& out);
void render_coro_json(const CoroSnapshot& snap, std::ostream& out);

// "leaf(int)  coro_chain.cpp:65  [suspended at co_await #1]": one frame, no indent.
std::string describe_coro_frame(const coro::CoroFrame& f);

}  // namespace corostack
