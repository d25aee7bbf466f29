#pragma once
// Derives a PythonLayout from a libpython's DWARF by evaluating the spec
// (python_layout_spec.hpp). Shared by the generator and the test that proves
// the committed tables, so both read the DWARF the same way.
#include "base/result.hpp"
#include "python/dwarf_struct_reader.hpp"
#include "python/python_layout.hpp"
#include "python/python_layout_spec.hpp"

namespace corostack::python {

// The value of one spec row in this file, or nullopt when its type or
// member path does not exist.
std::optional<FieldLoc> evaluate_row(const DwarfStructReader& reader, const LayoutFieldSpec& row);

// Every row must resolve inside its version range and must not resolve
// outside it; the error lists every row that breaks this. Rows are looked up
// in each file in turn: libpython first, then extension modules whose
// structs the spec names (_asyncio for 3.8+).
// `free_threaded`: a --disable-gil build, whose rows differ (LayoutBuild).
Result<PythonLayout> derive_python_layout(std::span<DwarfStructReader* const> readers, int major,
                                          int minor, bool free_threaded = false);
Result<PythonLayout> derive_python_layout(DwarfStructReader& reader, int major, int minor,
                                          bool free_threaded = false);

}  // namespace corostack::python
