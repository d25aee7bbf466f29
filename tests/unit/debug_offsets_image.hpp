#pragma once
// A fake _Py_DebugOffsets of version 3.`minor` holding a layout's own
// offsets, for tests that check how the target's description is applied.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "python/debug_offsets.hpp"

namespace corostack::testing_support {

inline std::vector<std::byte> debug_offsets_image(const python::PythonLayout& l, int minor,
                                                  uint64_t version_hex = 0) {
  using namespace corostack::python;
  if (version_hex == 0) version_hex = (3u << 24) | (static_cast<uint64_t>(minor) << 16) | 0xf0;
  std::vector<std::byte> raw(debug_offsets_size(minor));
  auto members = debug_offsets_members(minor);
  auto put = [&](uint32_t pos, uint64_t v) { std::memcpy(raw.data() + pos, &v, 8); };
  auto put_member = [&](const std::string& path, uint64_t v) {
    for (const auto& m : members)
      if (m.path == path) put(m.position, v);
  };
  std::memcpy(raw.data(), "xdebugpy", 8);
  put(8, version_hex);
  put(16, l.free_threaded ? 1 : 0);
  for (const auto& m : members)
    if (m.path.ends_with(".size")) put(m.position, 1 << 16);
  for (const DebugOffsetsField& f : debug_offsets_fields()) {
    const FieldLoc& loc = l.*f.field;
    put_member(f.path, loc.present() ? static_cast<uint64_t>(loc.offset) : 0);
  }
  put_member("interpreter_state.gc", static_cast<uint64_t>(l.interp_gc_collecting.offset));
  put_member("gc.size", 64);
  put_member("gc.collecting", 0);
  put_member("interpreter_state.gil_runtime_state", 0);  // no embedded _gil to derive from
  put_member("unicode_object.asciiobject_size", static_cast<uint64_t>(l.unicode_ascii_data.offset));
  put_member("unicode_object.compactunicodeobject_size",
             static_cast<uint64_t>(l.unicode_compact_data.offset));
  return raw;
}

}  // namespace corostack::testing_support
