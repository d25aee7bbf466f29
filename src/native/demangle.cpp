#include "native/demangle.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <cstring>

namespace corostack {

std::string demangle(const char* name) {
  if (!name) return {};
  if (std::strncmp(name, "_Z", 2) != 0) return name;
  int status = 0;
  char* out = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (status != 0 || !out) return name;
  std::string s(out);
  std::free(out);
  return s;
}

std::string strip_symbol_version(const char* name) {
  std::string s(name);
  if (auto at = s.find('@'); at != std::string::npos && at > 0) s.resize(at);
  return s;
}

}  // namespace corostack
