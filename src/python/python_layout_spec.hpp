#pragma once
// How each PythonLayout field is found in a libpython's DWARF: which struct,
// which member path, and for which versions it must exist. The generator and
// the test both read this table, so a table can only say what DWARF says.
#include <span>

#include "python/python_layout.hpp"

namespace corostack::python {

enum class LayoutQuery {
  kMember,  // byte offset and size of a member path ("a.b.c"; anonymous members are searched)
  kBits,    // bit offset and width of a bitfield, relative to its parent member ("state.kind")
  kSizeof,  // {0, sizeof(type)}
  kEndOf,   // {sizeof(type), 0}: data that follows a header struct
};

// Which builds a row applies to: rows for members that only a free-threaded
// (--disable-gil) build has, or only a GIL build.
enum class LayoutBuild { kAny, kGilOnly, kFreeThreadedOnly };

// One row. A field may have several rows with disjoint version ranges (the
// member moved or was renamed). Outside all its rows a field is absent, and
// the row's path must then not resolve either (so a range cannot be too narrow).
struct LayoutFieldSpec {
  FieldLoc PythonLayout::*field;
  const char* field_name;  // as spelled in PythonLayout, for generated code
  // Versions as 100 * major + minor (207 is 2.7, 313 is 3.13), inclusive. A
  // range covers the versions with a table inside it: 207..313 is 2.7 and
  // 3.6-3.13 (there is no table for 3.0-3.5).
  int min_version;
  int max_version;
  LayoutQuery query;
  const char* type_name;  // typedef or struct tag
  const char* path;       // member path; empty for kSizeof/kEndOf
  LayoutBuild build = LayoutBuild::kAny;
};

// Whether `row` applies to `version` (layout_version()) of that kind of build.
bool row_applies(const LayoutFieldSpec& row, int version, bool free_threaded);

std::span<const LayoutFieldSpec> layout_spec();

// 100 * major + minor, the unit of LayoutFieldSpec's version ranges.
constexpr int layout_version(int major, int minor) {
  return 100 * major + minor;
}

// True for the few rows whose path exists outside their range with another
// meaning (listed, with the reason, in python_layout_spec.cpp).
bool may_exist_outside_range(const LayoutFieldSpec& row);

}  // namespace corostack::python
