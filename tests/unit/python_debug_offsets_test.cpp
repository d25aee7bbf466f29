// _Py_DebugOffsets (3.13, 3.14, 3.14t): our positions of its fields match libpython3.13's
// DWARF, and applying a real build's own offsets to our table changes nothing
// (while a moved field is picked up and reported, and nonsense is refused).
#include <gtest/gtest.h>

#include <cstring>

#include "debug_offsets_image.hpp"
#include "pyenv_dirs.hpp"
#include "python/debug_offsets.hpp"
#include "python/dwarf_struct_reader.hpp"
#include "python/python_versions.hpp"
#include "target/fake_target.hpp"

namespace corostack::python {
namespace {

struct DescribedVersion {
  int minor;
  bool free_threaded;
};

class PythonDebugOffsetsDwarf : public ::testing::TestWithParam<DescribedVersion> {};

// Our member list of each version matches that build's own struct, member by
// member (the lists are data read from the headers; DWARF proves them).
TEST_P(PythonDebugOffsetsDwarf, PositionsMatchLibpythonDwarf) {
  auto [minor, ft] = GetParam();
  auto lib = corostack::testing_support::find_pyenv_libpython(3, minor, ft);
  if (lib.empty())
    GTEST_SKIP() << "[ SKIPPED LOUDLY ] no pyenv libpython3." << minor << (ft ? "t" : "")
                 << " to check the _Py_DebugOffsets member list against";
  auto reader = DwarfStructReader::open(lib.string());
  ASSERT_TRUE(reader) << reader.error().message;
  std::vector<std::string> types = {"_Py_DebugOffsets"};
  (*reader)->find_types(types);
  ASSERT_EQ((*reader)->type_size("_Py_DebugOffsets").value_or(0), debug_offsets_size(minor));
  auto members = debug_offsets_members(minor);
  ASSERT_FALSE(members.empty());
  for (const DebugOffsetsMember& m : members) {
    SCOPED_TRACE(m.path);
    auto loc = (*reader)->member("_Py_DebugOffsets", m.path);
    ASSERT_TRUE(loc);
    EXPECT_EQ(loc->bit_offset / 8, m.position);
  }
  // Every field we take is in the newest list.
  auto newest = debug_offsets_members(newest_described_debug_offsets());
  for (const DebugOffsetsField& f : debug_offsets_fields()) {
    bool found = false;
    for (const auto& m : newest) found |= m.path == f.path;
    EXPECT_TRUE(found) << f.path;
  }
  std::printf("[ COVERED  ] _Py_DebugOffsets 3.%d%s member list == DWARF of %s\n", minor,
              ft ? "t" : "", lib.c_str());
}

INSTANTIATE_TEST_SUITE_P(Versions, PythonDebugOffsetsDwarf,
                         ::testing::Values(DescribedVersion{13, false}, DescribedVersion{14, false},
                                           DescribedVersion{14, true}),
                         [](const auto& info) {
                           return "v3_" + std::to_string(info.param.minor) +
                                  (info.param.free_threaded ? "t" : "");
                         });

std::vector<std::byte> image_of(const PythonLayout& base, int minor) {
  return corostack::testing_support::debug_offsets_image(base, minor);
}

TEST(PythonDebugOffsetsLayout, OwnOffsetsChangeNothingAndMovesAreReported) {
  const PythonLayout* base = layout_for(3, 13);
  ASSERT_NE(base, nullptr);
  FakeTarget fake;
  std::vector<std::byte> raw = image_of(*base, 13);
  fake.add_region(RemoteAddr(0x10000), raw);
  auto same = apply_debug_offsets(fake, RemoteAddr(0x10000), *base);
  ASSERT_TRUE(same) << (same ? "" : same.error().message);
  EXPECT_TRUE(same->differences.empty()) << same->differences.front();
  EXPECT_EQ(same->layout->tstate_next.offset, base->tstate_next.offset);

  uint64_t moved = static_cast<uint64_t>(base->tstate_next.offset) + 8;
  std::memcpy(raw.data() + 168, &moved, 8);  // thread_state.next in 3.13
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
  std::vector<std::byte> raw = image_of(*base, 13);
  auto try_with = [&](std::vector<std::byte> bytes) {
    FakeTarget fake;
    fake.add_region(RemoteAddr(0x10000), std::move(bytes));
    return apply_debug_offsets(fake, RemoteAddr(0x10000), *base);
  };
  auto no_cookie = raw;
  no_cookie[0] = std::byte{'X'};
  EXPECT_FALSE(try_with(no_cookie));
  auto too_old = raw;
  uint64_t v312 = 0x030c00f0;
  std::memcpy(too_old.data() + 8, &v312, 8);
  EXPECT_FALSE(try_with(too_old));
  auto wrong_build = raw;  // free_threaded set on a regular build's table
  uint64_t one = 1;
  std::memcpy(wrong_build.data() + 16, &one, 8);
  EXPECT_FALSE(try_with(wrong_build));
  auto not_a_flag = raw;
  uint64_t seven = 7;
  std::memcpy(not_a_flag.data() + 16, &seven, 8);
  EXPECT_FALSE(try_with(not_a_flag));
  auto outside = raw;
  uint64_t huge = 1ull << 40;
  std::memcpy(outside.data() + 168, &huge, 8);  // thread_state.next far outside its struct
  EXPECT_FALSE(try_with(outside));
  EXPECT_FALSE(try_with(std::vector<std::byte>(100)));  // truncated
}

}  // namespace
}  // namespace corostack::python
