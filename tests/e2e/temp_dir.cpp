#include "temp_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace e2e {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "corostack-e2e-XXXXXX").string();
  if (!mkdtemp(pattern.data()))
    throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  path_ = pattern;
}

TempDir::~TempDir() {
  if (std::getenv("COROSTACK_E2E_KEEP")) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace e2e
