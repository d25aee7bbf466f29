#pragma once
// `--json`: the schema in docs/json-schema.md. Always valid UTF-8.
#include <nlohmann/json.hpp>
#include <ostream>

#include "snapshot/snapshot.hpp"

namespace corostack {

nlohmann::json snapshot_to_json(const ProcessSnapshot& snap);
void render_json(const ProcessSnapshot& snap, std::ostream& out);

}  // namespace corostack
