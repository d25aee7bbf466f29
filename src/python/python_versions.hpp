#pragma once
// Which CPython versions have a layout table, and lookup by version.
#include <span>

#include "python/python_layout.hpp"

namespace corostack::python {

struct PythonVersion {
  int major;
  int minor;
  bool free_threaded = false;  // a --disable-gil build ("3.14t"), with its own table
};

// Oldest first.
std::span<const PythonVersion> supported_python_versions();

// The table for major.minor, or nullptr when there is none. Patch releases
// share their minor version's table (generated from one patch release; see
// docs/python-layouts.md for why 3.13+ should prefer _Py_DebugOffsets).
// `free_threaded` picks the table of a --disable-gil build (3.14t).
const PythonLayout* layout_for(int major, int minor, bool free_threaded = false);

// The newest table of that kind of build, for a version newer than any table
// (read with the target's own _Py_DebugOffsets on top, and said to be untested).
const PythonLayout* newest_layout(bool free_threaded);

}  // namespace corostack::python
