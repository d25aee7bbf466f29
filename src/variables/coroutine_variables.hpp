#pragma once
// The variables a suspended C++ coroutine keeps across suspension points:
// the data members of its frame type (clang's `__coro_frame_ty` /
// `<ramp>.coro_frame_ty`, GCC's `<ramp>.Frame`), minus the ABI header (resume
// and destroy pointers, promise, suspend index, GCC's bookkeeping), printed
// like native variables. Optimized clang frames name their slots after types
// (`__int_32_0`): that is all the debug info says, so it is shown with a note,
// as LLVM's "Debugging C++ Coroutines" explains. GCC names a variable after
// its scope (`local_1_2`: `local`, scope 1, slot 2) and its temporaries
// `D.1234`; names are shown as the compiler wrote them.
#include <elfutils/libdw.h>

#include <cstdint>
#include <string>
#include <vector>

#include "target/memory_reader.hpp"
#include "variables/value_printer.hpp"

namespace corostack::variables {

struct CoroutineVariable {
  std::string name;
  std::string value;
};

struct CoroutineVariables {
  std::vector<CoroutineVariable> variables;
  bool compiler_named = false;  // some names were made up by the compiler
  std::string error;            // the frame could not be read
};

CoroutineVariables coroutine_variables(const MemoryReader& memory, uint64_t frame,
                                       Dwarf_Die frame_type, const PrintLimits& limits = {});

}  // namespace corostack::variables
