// PythonElfFile's GNU-hash lookup of exported symbols against its full scan
// of the same tables, on the real libpythons and interpreters of this
// machine (every pyenv build found, Debian's stripped /usr/bin/python3.11):
// the two must agree for names present and absent, or the fast path would
// silently fall back or, worse, find a different address.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "pyenv_dirs.hpp"
#include "python/python_elf_file.hpp"

namespace corostack::python {
namespace {

std::vector<std::filesystem::path> python_files() {
  std::vector<std::filesystem::path> out;
  for (int minor = 6; minor <= 15; ++minor)
    for (bool ft : {false, true})
      if (auto p = testing_support::find_pyenv_libpython(3, minor, ft); !p.empty())
        out.push_back(p);
  for (const char* p : {"/usr/bin/python3.11"})
    if (std::filesystem::exists(p)) out.emplace_back(p);
  return out;
}

TEST(PythonElfFile, HashLookupAgreesWithTheScan) {
  const std::vector<std::string> names = {"_PyRuntime",    "Py_Version",    "PyList_Type",
                                          "PyObject_Repr", "Py_Initialize", "no_such_symbol_x",
                                          "interp_head"};
  auto files = python_files();
  if (files.empty()) GTEST_SKIP() << "SKIPPED LOUDLY: no libpython or distro Python found";
  for (const auto& path : files) {
    auto elf = PythonElfFile::open(path.string());
    ASSERT_TRUE(elf.ok()) << path << ": " << elf.error().message;
    auto fast = (*elf)->find_dynamic_symbols(names);
    auto all = (*elf)->find_symbols(names);
    EXPECT_TRUE(fast.contains("PyList_Type")) << path;
    EXPECT_FALSE(fast.contains("no_such_symbol_x")) << path;
    for (const auto& [name, hit] : fast) {
      ASSERT_TRUE(all.contains(name)) << path << " " << name;
      EXPECT_EQ(hit.value, all.at(name).value) << path << " " << name;
      EXPECT_EQ(hit.table, ".dynsym");
    }
    for (const auto& [name, hit] : all) {
      if (hit.table == ".dynsym") {
        EXPECT_TRUE(fast.contains(name)) << path << " " << name;
      }
    }
    std::cout << "[ info ] " << path.string() << ": " << fast.size() << " of " << names.size()
              << " names exported\n";
  }
}

}  // namespace
}  // namespace corostack::python
