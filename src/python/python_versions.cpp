#include "python/python_versions.hpp"

#include "python/layouts/all_layouts.hpp"

namespace corostack::python {
namespace {

// Adding a version: generate its table, declare it in all_layouts.hpp, add it here.
const PythonLayout* const kTables[] = {
    &kPython27,  &kPython36,  &kPython37,  &kPython38,   &kPython39,  &kPython310,  &kPython311,
    &kPython312, &kPython313, &kPython314, &kPython314t, &kPython315, &kPython315t,
};

constexpr PythonVersion kVersions[] = {{2, 7},        {3, 6},  {3, 7},       {3, 8},  {3, 9},
                                       {3, 10},       {3, 11}, {3, 12},      {3, 13}, {3, 14},
                                       {3, 14, true}, {3, 15}, {3, 15, true}};
static_assert(std::size(kVersions) == std::size(kTables));

}  // namespace

std::span<const PythonVersion> supported_python_versions() {
  return kVersions;
}

const PythonLayout* layout_for(int major, int minor, bool free_threaded) {
  for (const PythonLayout* table : kTables) {
    if (table->major == major && table->minor == minor && table->free_threaded == free_threaded)
      return table;
  }
  return nullptr;
}

const PythonLayout* newest_layout(bool free_threaded) {
  const PythonLayout* newest = nullptr;
  for (const PythonLayout* table : kTables) {
    if (table->free_threaded == free_threaded &&
        (!newest || table->major > newest->major ||
         (table->major == newest->major && table->minor > newest->minor)))
      newest = table;
  }
  return newest;
}

}  // namespace corostack::python
