#pragma once
// Where pyenv keeps its interpreters, for unit tests that check our Python
// knowledge against the real builds on this machine.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>
#include <string>
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

// lib/libpython<major>.<minor>[m].so.1.0 of a plain (not free-threaded, not
// debug) pyenv build named major.minor.patch; empty when there is none.
// `free_threaded`: a --disable-gil build named major.minor.patch"t", whose
// library is libpython<major>.<minor>t.so.1.0.
inline std::filesystem::path find_pyenv_libpython(int major, int minor,
                                                  bool free_threaded = false) {
  namespace fs = std::filesystem;
  const std::string mm =
      std::to_string(major) + "." + std::to_string(minor) + (free_threaded ? "t" : "");
  const std::regex name("^" + std::to_string(major) + "\\." + std::to_string(minor) + "\\.[0-9]+" +
                        (free_threaded ? "t" : "") + "$");
  std::vector<fs::path> hits;
  for (const auto& dir : pyenv_version_dirs()) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (!std::regex_match(entry.path().filename().string(), name)) continue;
      for (const char* suffix : {"", "m"}) {
        fs::path lib = entry.path() / "lib" / ("libpython" + mm + suffix + ".so.1.0");
        if (fs::exists(lib, ec)) hits.push_back(lib);
      }
    }
  }
  std::sort(hits.begin(), hits.end());
  return hits.empty() ? fs::path() : hits.back();
}

// The extension module `name` (e.g. "_asyncio") of the pyenv build that
// `libpython` belongs to: <prefix>/lib/python<major>.<minor>/lib-dynload/
// <name>.cpython-*.so; empty when there is none.
inline std::filesystem::path find_pyenv_extension(const std::filesystem::path& libpython, int major,
                                                  int minor, const std::string& name) {
  namespace fs = std::filesystem;
  bool free_threaded =
      libpython.filename().string().find(std::to_string(major) + "." + std::to_string(minor) +
                                         "t") != std::string::npos;
  fs::path dir = libpython.parent_path() /
                 ("python" + std::to_string(major) + "." + std::to_string(minor) +
                  (free_threaded ? "t" : "")) /
                 "lib-dynload";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string file = entry.path().filename().string();
    if (file.starts_with(name + ".cpython-") && file.ends_with(".so")) return entry.path();
  }
  return {};
}

}  // namespace corostack::testing_support
