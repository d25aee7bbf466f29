#pragma once
// CPython 3.13's own description of its layout: the _Py_DebugOffsets struct
// at the start of _PyRuntime (cookie "xdebugpy"). Where a target carries it,
// its offsets override our DWARF-derived table, so a patch release whose
// structs moved is still walked correctly; a disagreement is reported.
#include <memory>
#include <string>
#include <vector>

#include "base/remote_addr.hpp"
#include "base/result.hpp"
#include "python/python_layout.hpp"
#include "target/memory_reader.hpp"

namespace corostack::python {

struct DebugOffsetsLayout {
  std::shared_ptr<const PythonLayout> layout;  // `base` with the target's offsets applied
  std::vector<std::string> differences;        // "tstate_next: table 8, target 16", ...
};

// Reads the 3.13 _Py_DebugOffsets at `addr` and applies it to `base` (which
// keeps the field sizes, and every field the struct does not describe).
// kCorrupt when the cookie is missing, the version is not 3.13 or an offset
// lies outside the size the struct gives for its own parent struct.
Result<DebugOffsetsLayout> apply_debug_offsets(const MemoryReader& mem, RemoteAddr addr,
                                               const PythonLayout& base);

// The position of each described field inside _Py_DebugOffsets (3.13), for
// the test that checks it against libpython's DWARF.
struct DebugOffsetsField {
  FieldLoc PythonLayout::*field;
  const char* field_name;
  const char* path;  // member path in _Py_DebugOffsets, e.g. "thread_state.next"
  uint32_t position;
  uint32_t size_position;  // where the parent struct's size is ("thread_state.size")
};
std::vector<DebugOffsetsField> debug_offsets_fields();

}  // namespace corostack::python
