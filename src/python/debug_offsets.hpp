#pragma once
// CPython's own description of its layout: the _Py_DebugOffsets struct at the
// start of _PyRuntime (cookie "xdebugpy", 3.13+). Where a target carries it,
// its offsets override our DWARF-derived table, so a patch release whose
// structs moved is still walked correctly; a disagreement is reported.
//
// The struct grows with each minor version (3.14 added threads_main,
// stackpointer, the TLBC fields, set/gen/llist/debugger sections). Which
// members a version has is data (debug_offsets.cpp, one list per version, from
// that release's pycore_debug_offsets.h); a version newer than any list is read
// with the newest list, which only appends in practice, and said to be untested.
#include <memory>
#include <string>
#include <vector>

#include "base/remote_addr.hpp"
#include "base/result.hpp"
#include "python/python_layout.hpp"
#include "target/memory_reader.hpp"

namespace corostack::python {

// The header every version shares: cookie, PY_VERSION_HEX, free_threaded.
struct DebugOffsetsHeader {
  uint64_t version_hex = 0;
  int major = 0, minor = 0;
  bool free_threaded = false;
};
// kCorrupt without the cookie, for a version before 3.13, or a free_threaded
// word other than 0 or 1.
Result<DebugOffsetsHeader> read_debug_offsets_header(const MemoryReader& mem, RemoteAddr addr);

struct DebugOffsetsLayout {
  std::shared_ptr<const PythonLayout> layout;  // `base` with the target's offsets applied
  std::vector<std::string> differences;        // "tstate_next: table 8, target 16", ...
  DebugOffsetsHeader header;
  int described_minor = 0;  // whose member list was used (< header.minor: untested version)
};

// Reads the _Py_DebugOffsets at `addr` and applies it to `base` (which keeps
// the field sizes, and every field the struct does not describe). kCorrupt
// when the header is wrong, `base` is of the other kind of build (free-threaded
// or not), or an offset lies outside the size the struct gives for its parent.
Result<DebugOffsetsLayout> apply_debug_offsets(const MemoryReader& mem, RemoteAddr addr,
                                               const PythonLayout& base);

// The newest minor version whose member list is known.
int newest_described_debug_offsets();

// One member of a version's struct, for the test that checks the lists
// against libpython's DWARF and for building fake images.
struct DebugOffsetsMember {
  std::string path;  // "thread_state.next"
  uint32_t position;
};
// Empty for a version without a list (before 3.13).
std::vector<DebugOffsetsMember> debug_offsets_members(int minor);
uint32_t debug_offsets_size(int minor);  // sizeof(_Py_DebugOffsets)

// The PythonLayout field each described member sets (version-independent).
struct DebugOffsetsField {
  FieldLoc PythonLayout::*field;
  const char* field_name;
  const char* path;         // member path in _Py_DebugOffsets, e.g. "thread_state.next"
  bool free_threaded_only;  // 0 in GIL builds (the TLBC members)
};
std::vector<DebugOffsetsField> debug_offsets_fields();

}  // namespace corostack::python
