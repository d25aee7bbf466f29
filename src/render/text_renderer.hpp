#pragma once
// gdb-style text for a terminal or a log: one block per thread, frames
// innermost first. Every string from the target is escaped.
#include <ostream>

#include "snapshot/snapshot.hpp"

namespace corostack {

struct TextOptions {
  bool color = false;
};

void render_text(const ProcessSnapshot& snap, const TextOptions& options, std::ostream& out);

}  // namespace corostack
