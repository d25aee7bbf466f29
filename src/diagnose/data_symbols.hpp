#pragma once
// Names for data addresses, as gdb prints `<owl_mutex>`: the ELF symbol
// (a global or static object) covering the address, "+N" inside it.
// Heap and stack objects have none.
#include <cstdint>
#include <string>

#include "native/dwfl_session.hpp"

namespace corostack::diagnose {

// "owl_mutex", "table+40", or empty when no symbol covers the address.
std::string data_symbol(DwflSession& session, uint64_t address);

}  // namespace corostack::diagnose
