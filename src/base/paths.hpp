#pragma once
// The last component of a path, for short labels ("app.py" for
// "/srv/app.py"). A view into the argument: keep the argument alive.
#include <string_view>

namespace corostack {

inline std::string_view path_basename(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace corostack
