// Proves the committed per-version Python layout tables against the DWARF of
// the matching libpython under ~/.pyenv/versions, field by field, with the
// same reader and spec the generator used.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <ostream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "python/dwarf_struct_reader.hpp"
#include "python/python_layout_dwarf.hpp"
#include "python/python_layout_spec.hpp"
#include "python/python_versions.hpp"

#include "pyenv_dirs.hpp"

namespace corostack::python {
// Readable test names and failure lines ("3.12" instead of raw bytes).
void PrintTo(const PythonVersion& v, std::ostream* os) {
  *os << v.major << "." << v.minor << (v.free_threaded ? "t" : "");
}
}  // namespace corostack::python

namespace fs = std::filesystem;
using namespace corostack::python;

namespace {

using corostack::testing_support::pyenv_version_dirs;

fs::path find_libpython(const PythonVersion& v) {
  return corostack::testing_support::find_pyenv_libpython(v.major, v.minor, v.free_threaded);
}

std::string version_name(const PythonVersion& v) {
  return std::to_string(v.major) + "_" + std::to_string(v.minor) + (v.free_threaded ? "t" : "");
}

TEST(PythonLayoutTables, EveryVersionHasItsTable) {
  ASSERT_FALSE(supported_python_versions().empty());
  for (const auto& v : supported_python_versions()) {
    const PythonLayout* layout = layout_for(v.major, v.minor, v.free_threaded);
    ASSERT_NE(layout, nullptr) << version_name(v);
    EXPECT_EQ(layout->free_threaded, v.free_threaded);
    EXPECT_EQ(layout->major, v.major);
    EXPECT_EQ(layout->minor, v.minor);
    // Every version can reach threads and frames: a walker needs these.
    EXPECT_TRUE(layout->interp_threads_head.present()) << version_name(v);
    EXPECT_TRUE(layout->tstate_frame.present() || layout->cframe_current_frame.present() ||
                layout->tstate_current_frame.present())
        << version_name(v);
  }
  EXPECT_NE(layout_for(2, 7), nullptr);
  EXPECT_EQ(layout_for(2, 6), nullptr);
  EXPECT_EQ(layout_for(3, 5), nullptr);
  EXPECT_EQ(layout_for(3, 99), nullptr);
}

TEST(PythonLayoutTables, SpecRowsOfOneFieldAreAdjacentAndDisjoint) {
  // Adjacent: the generator writes designated initializers in row order.
  auto spec = layout_spec();
  std::set<std::string> closed;
  for (size_t i = 0; i < spec.size(); ++i) {
    const auto& row = spec[i];
    EXPECT_LE(row.min_version, row.max_version) << row.field_name;
    EXPECT_FALSE(closed.contains(row.field_name)) << row.field_name << " rows are not adjacent";
    if (i + 1 < spec.size() && spec[i + 1].field == row.field) {
      EXPECT_LT(row.max_version, spec[i + 1].min_version) << row.field_name << " ranges overlap";
    } else {
      closed.insert(row.field_name);
    }
  }
}

class PythonLayoutDwarf : public testing::TestWithParam<PythonVersion> {};

TEST_P(PythonLayoutDwarf, TableMatchesLibpythonDwarf) {
  const PythonVersion v = GetParam();
  if (pyenv_version_dirs().empty()) {
    GTEST_SKIP() << "[ SKIPPED LOUDLY ] no ~/.pyenv/versions on this machine: the Python "
                    "layout tables were NOT checked against any DWARF";
  }
  fs::path lib = find_libpython(v);
  if (lib.empty()) {
    GTEST_SKIP() << "[ SKIPPED LOUDLY ] no libpython" << v.major << "." << v.minor
                 << " under ~/.pyenv/versions: the " << v.major << "." << v.minor
                 << " table was NOT checked against DWARF";
  }
  auto reader = DwarfStructReader::open(lib.string());
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  std::vector<DwarfStructReader*> readers = {reader->get()};
  // The Task/Future rows start at 3.8 (the first TaskObj with task_name);
  // older _asyncio builds must not be asked for them.
  std::unique_ptr<DwarfStructReader> asyncio;
  if (v.minor >= 8) {
    fs::path so =
        corostack::testing_support::find_pyenv_extension(lib, v.major, v.minor, "_asyncio");
    ASSERT_FALSE(so.empty()) << "no _asyncio extension next to " << lib;
    auto r = DwarfStructReader::open(so.string());
    ASSERT_TRUE(r.ok()) << r.error().message;
    asyncio = std::move(*r);
    readers.push_back(asyncio.get());
  }
  auto derived = derive_python_layout(readers, v.major, v.minor, v.free_threaded);
  ASSERT_TRUE(derived.ok()) << derived.error().message;
  const PythonLayout* table = layout_for(v.major, v.minor, v.free_threaded);
  ASSERT_NE(table, nullptr);
  for (const auto& row : layout_spec()) {
    const FieldLoc& want = derived.value().*row.field;
    const FieldLoc& have = table->*row.field;
    EXPECT_EQ(have.offset, want.offset) << row.field_name << " offset, DWARF of " << lib;
    EXPECT_EQ(have.size, want.size) << row.field_name << " size, DWARF of " << lib;
  }
  std::printf("[ COVERED  ] Python %s table == DWARF of %s\n", version_name(v).c_str(),
              lib.c_str());
}

INSTANTIATE_TEST_SUITE_P(AllVersions, PythonLayoutDwarf,
                         testing::ValuesIn(supported_python_versions().begin(),
                                           supported_python_versions().end()),
                         [](const auto& info) { return version_name(info.param); });

// The per-version tests skip when their libpython is missing; this one makes
// sure a machine with pyenv proves at least one table.
TEST(PythonLayoutDwarfCoverage, AtLeastOneVersionIsCovered) {
  if (pyenv_version_dirs().empty()) {
    GTEST_SKIP() << "[ SKIPPED LOUDLY ] no ~/.pyenv/versions: no Python layout table checked";
  }
  std::string covered;
  for (const auto& v : supported_python_versions()) {
    if (!find_libpython(v).empty())
      covered += " " + std::to_string(v.major) + "." + std::to_string(v.minor);
  }
  std::printf("[ COVERED  ] Python layout versions with a libpython:%s\n", covered.c_str());
  EXPECT_FALSE(covered.empty()) << "pyenv exists but has no libpython for any supported version";
}

}  // namespace
