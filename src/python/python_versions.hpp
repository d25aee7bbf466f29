#pragma once
// Which CPython versions have a layout table, and lookup by version.
#include <span>

#include "python/python_layout.hpp"

namespace corostack::python {

struct PythonVersion {
  int major;
  int minor;
};

// Oldest first.
std::span<const PythonVersion> supported_python_versions();

// The table for major.minor, or nullptr when there is none. Patch releases
// share their minor version's table (generated from one patch release; see
// docs/python-layouts.md for why 3.13+ should prefer _Py_DebugOffsets).
const PythonLayout* layout_for(int major, int minor);

}  // namespace corostack::python
