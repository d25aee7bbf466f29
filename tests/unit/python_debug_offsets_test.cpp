// _Py_DebugOffsets (3.13): our positions of its fields match libpython3.13's
// DWARF, and applying a real build's own offsets to our table changes nothing
// (while a moved field is picked up and reported, and nonsense is refused).
#include <gtest/gtest.h>

#include <cstring>

#include "pyenv_dirs.hpp"
#include "python/debug_offsets.hpp"
#include "python/dwarf_struct_reader.hpp"
#include "python/python_versions.hpp"
#include "target/fake_target.hpp"

namespace corostack::python {
namespace {

TEST(PythonDebugOffsetsLayout, PositionsMatchLibpythonDwarf) {
  auto lib = corostack::testing_support::find_pyenv_libpython(3, 13);
  if (lib.empty()) GTEST_SKIP() << "[ SKIPPED LOUDLY ] no pyenv libpython3.13 to check against";
  auto reader = DwarfStructReader::open(lib.string());
  ASSERT_TRUE(reader) << reader.error().message;
  std::vector<std::string> types = {"_Py_DebugOffsets"};
  (*reader)->find_types(types);
  ASSERT_EQ((*reader)->type_size("_Py_DebugOffsets").value_or(0), 584);
  for (const DebugOffsetsField& f : debug_offsets_fields()) {
    SCOPED_TRACE(f.path);
    auto m = (*reader)->member("_Py_DebugOffsets", f.path);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->bit_offset / 8, f.position);
    if (f.size_position) {
      std::string parent(f.path);
      parent = parent.substr(0, parent.find('.')) + ".size";
      auto s = (*reader)->member("_Py_DebugOffsets", parent);
      ASSERT_TRUE(s);
      EXPECT_EQ(s->bit_offset / 8, f.size_position);
    }
  }
}

// A _Py_DebugOffsets image holding `base`'s own offsets.
std::vector<std::byte> image_of(const PythonLayout& base) {
  std::vector<std::byte> raw(584);
  auto put = [&](uint32_t pos, uint64_t v) { std::memcpy(raw.data() + pos, &v, 8); };
  std::memcpy(raw.data(), "xdebugpy", 8);
  put(8, 0x030d00f0);  // 3.13.0 final
  for (const DebugOffsetsField& f : debug_offsets_fields()) {
    put(f.position, static_cast<uint64_t>((base.*f.field).offset));
    if (f.size_position) put(f.size_position, 1 << 16);
  }
  put(48, 1 << 16);                                                  // interpreter_state.size
  put(80, static_cast<uint64_t>(base.interp_gc_collecting.offset));  // gc, collecting at 0
  put(568, 64);
  put(576, 0);
  put(560, static_cast<uint64_t>(base.unicode_ascii_data.offset));
  return raw;
}

TEST(PythonDebugOffsetsLayout, OwnOffsetsChangeNothingAndMovesAreReported) {
  const PythonLayout* base = layout_for(3, 13);
  ASSERT_NE(base, nullptr);
  FakeTarget fake;
  std::vector<std::byte> raw = image_of(*base);
  fake.add_region(RemoteAddr(0x10000), raw);
  auto same = apply_debug_offsets(fake, RemoteAddr(0x10000), *base);
  ASSERT_TRUE(same) << (same ? "" : same.error().message);
  EXPECT_TRUE(same->differences.empty()) << same->differences.front();
  EXPECT_EQ(same->layout->tstate_next.offset, base->tstate_next.offset);

  uint64_t moved = static_cast<uint64_t>(base->tstate_next.offset) + 8;
  std::memcpy(raw.data() + 168, &moved, 8);
  FakeTarget fake2;
  fake2.add_region(RemoteAddr(0x10000), raw);
  auto diff = apply_debug_offsets(fake2, RemoteAddr(0x10000), *base);
  ASSERT_TRUE(diff) << diff.error().message;
  EXPECT_EQ(diff->layout->tstate_next.offset, static_cast<int32_t>(moved));
  ASSERT_EQ(diff->differences.size(), 1u);
  EXPECT_NE(diff->differences[0].find("tstate_next"), std::string::npos);
}

TEST(PythonDebugOffsetsLayout, NonsenseIsRefused) {
  const PythonLayout* base = layout_for(3, 13);
  ASSERT_NE(base, nullptr);
  std::vector<std::byte> raw = image_of(*base);
  auto try_with = [&](std::vector<std::byte> bytes) {
    FakeTarget fake;
    fake.add_region(RemoteAddr(0x10000), std::move(bytes));
    return apply_debug_offsets(fake, RemoteAddr(0x10000), *base);
  };
  auto no_cookie = raw;
  no_cookie[0] = std::byte{'X'};
  EXPECT_FALSE(try_with(no_cookie));
  auto other_version = raw;
  uint64_t v314 = 0x030e00f0;
  std::memcpy(other_version.data() + 8, &v314, 8);
  EXPECT_FALSE(try_with(other_version));
  auto outside = raw;
  uint64_t huge = 1ull << 40;
  std::memcpy(outside.data() + 168, &huge, 8);  // thread_state.next far outside its struct
  EXPECT_FALSE(try_with(outside));
  EXPECT_FALSE(try_with(std::vector<std::byte>(100)));  // truncated
}

}  // namespace
}  // namespace corostack::python
