#include "python/python_layout_dwarf.hpp"

#include <set>
#include <string>
#include <vector>

namespace corostack::python {

std::optional<FieldLoc> evaluate_row(const DwarfStructReader& reader, const LayoutFieldSpec& row) {
  auto narrow = [](int64_t offset, int64_t size) {
    return FieldLoc{static_cast<int32_t>(offset), static_cast<int32_t>(size)};
  };
  switch (row.query) {
    case LayoutQuery::kSizeof:
    case LayoutQuery::kEndOf: {
      auto size = reader.type_size(row.type_name);
      if (!size) return std::nullopt;
      return row.query == LayoutQuery::kSizeof ? narrow(0, *size) : narrow(*size, 0);
    }
    case LayoutQuery::kMember: {
      auto loc = reader.member(row.type_name, row.path);
      if (!loc || loc->bit_size >= 0 || loc->bit_offset % 8 != 0) return std::nullopt;
      return narrow(loc->bit_offset / 8, loc->byte_size);
    }
    case LayoutQuery::kBits: {
      std::string_view path = row.path;
      size_t dot = path.rfind('.');
      if (dot == std::string_view::npos) return std::nullopt;
      auto parent = reader.member(row.type_name, path.substr(0, dot));
      auto loc = reader.member(row.type_name, path);
      if (!parent || !loc || loc->bit_size < 0) return std::nullopt;
      return narrow(loc->bit_offset - parent->bit_offset, loc->bit_size);
    }
  }
  return std::nullopt;
}

Result<PythonLayout> derive_python_layout(DwarfStructReader& reader, int major, int minor,
                                          bool free_threaded) {
  DwarfStructReader* readers[] = {&reader};
  return derive_python_layout(readers, major, minor, free_threaded);
}

Result<PythonLayout> derive_python_layout(std::span<DwarfStructReader* const> readers, int major,
                                          int minor, bool free_threaded) {
  if (readers.empty()) return make_error(ErrorKind::kUsage, "no DWARF file to derive from");
  if (major < 2 || major > 3 || minor < 0 || minor > 99) {
    return make_error(ErrorKind::kUnsupported, "only CPython 2.x and 3.x layouts are described");
  }
  const int version = layout_version(major, minor);
  std::set<std::string> types;
  for (const auto& row : layout_spec()) types.insert(row.type_name);
  std::vector<std::string> names(types.begin(), types.end());
  for (DwarfStructReader* reader : readers) reader->find_types(names);

  PythonLayout layout;
  layout.major = major;
  layout.minor = minor;
  layout.free_threaded = free_threaded;
  std::string problems;
  for (const auto& row : layout_spec()) {
    bool in_range = row_applies(row, version, free_threaded);
    std::optional<FieldLoc> value;
    for (const DwarfStructReader* reader : readers) {
      value = evaluate_row(*reader, row);
      if (value) break;
    }
    std::string where = std::string(row.field_name) + " (" + row.type_name +
                        (*row.path ? std::string(".") + row.path : std::string()) + ")";
    if (in_range && !value) {
      problems += "\n  missing: " + where;
    } else if (!in_range && value && !may_exist_outside_range(row)) {
      problems += "\n  present outside its version range: " + where;
    } else if (in_range) {
      layout.*row.field = *value;
    }
  }
  if (!problems.empty()) {
    return make_error(ErrorKind::kCorrupt, readers.front()->path() + " as " +
                                               std::to_string(major) + "." + std::to_string(minor) +
                                               (free_threaded ? "t" : "") + ":" + problems);
  }
  return layout;
}

}  // namespace corostack::python
