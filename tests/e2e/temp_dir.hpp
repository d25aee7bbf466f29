#pragma once
// A fresh directory per test (truth files, cores, a crash target's cwd),
// removed afterwards unless COROSTACK_E2E_KEEP is set, for post-mortems.
#include <filesystem>

namespace e2e {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace e2e
