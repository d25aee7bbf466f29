#pragma once
// Where pyenv keeps its interpreters, for unit tests that check our Python
// knowledge against the real builds on this machine.
#include <cstdlib>
#include <filesystem>
#include <set>
#include <system_error>
#include <vector>

namespace corostack::testing_support {

// Every pyenv versions directory we can see ($PYENV_ROOT, $HOME, /root),
// each once.
inline std::vector<std::filesystem::path> pyenv_version_dirs() {
  namespace fs = std::filesystem;
  std::vector<fs::path> roots;
  if (const char* root = std::getenv("PYENV_ROOT")) roots.emplace_back(root);
  if (const char* home = std::getenv("HOME")) roots.push_back(fs::path(home) / ".pyenv");
  roots.emplace_back("/root/.pyenv");
  std::vector<fs::path> dirs;
  std::set<fs::path> seen;
  for (const auto& root : roots) {
    std::error_code ec;
    fs::path dir = fs::canonical(root / "versions", ec);
    if (!ec && fs::is_directory(dir, ec) && seen.insert(dir).second) dirs.push_back(dir);
  }
  return dirs;
}

}  // namespace corostack::testing_support
