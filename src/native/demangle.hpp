#pragma once
#include <string>

namespace corostack {

// The demangled form of an Itanium C++ symbol, or the name unchanged.
std::string demangle(const char* name);

// "clock_nanosleep@GLIBC_2.2.5" → "clock_nanosleep": the version is noise in a backtrace.
std::string strip_symbol_version(const char* name);

}  // namespace corostack
