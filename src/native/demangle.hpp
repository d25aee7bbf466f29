#pragma once
#include <string>

namespace corostack {

// The demangled form of an Itanium C++ symbol, or the name unchanged.
std::string demangle(const char* name);

}  // namespace corostack
