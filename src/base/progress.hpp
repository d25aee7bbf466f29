#pragma once
// How long work reports how far it got: the library calls this, the command
// line decides whether and how to show it (cli/stderr_progress.hpp: on a
// terminal only, after the first second). `total` is 0 when unknown.
#include <cstdint>
#include <functional>
#include <string_view>

namespace corostack {

using ProgressFn = std::function<void(std::string_view what, uint64_t done, uint64_t total)>;

}  // namespace corostack
