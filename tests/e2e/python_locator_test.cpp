// locate_python (src/python/python_locator.hpp) on every Python interpreter
// found, in-process: on the live py_threads.py target, again with symbols and
// sections switched off (the scans alone must find the same interpreter), and
// on a core of it written by `corostack gcore` (2.7 included). Prints which
// source gave the version and the runtime.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "corostack.hpp"
#include "python/python_elf_file.hpp"
#include "python/python_locator.hpp"
#include "python_blocked.hpp"
#include "python_interpreters.hpp"
#include "python_truth.hpp"
#include "target/core_file.hpp"
#include "target/live_process.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

using corostack::ErrorKind;
using corostack::Result;
using corostack::python::LocateOptions;
using corostack::python::PythonRuntime;

constexpr const char* kPyThreadsScript = PY_THREADS_SCRIPT;

std::string hex(corostack::RemoteAddr a) {
  std::ostringstream ss;
  ss << "0x" << std::hex << a.value();
  return ss.str();
}

std::string describe(const Result<PythonRuntime>& r) {
  if (!r) return "error: " + r.error().message;
  std::ostringstream ss;
  ss << r->major << "." << r->minor << "." << r->micro << " (" << r->version_source << "), runtime "
     << hex(r->runtime) << " via " << r->runtime_source << ", interp_head " << hex(r->interp_head)
     << " (" << r->thread_back_references << " thread states back), in " << r->module;
  for (const std::string& n : r->notes) ss << "\n    note: " << n;
  return ss.str();
}

std::string version_of(const PythonRuntime& r) {
  return std::to_string(r.major) + "." + std::to_string(r.minor) + "." + std::to_string(r.micro);
}

class PythonLocatorTest : public testing::TestWithParam<PythonInterpreter> {
 protected:
  void SetUp() override {
    py_ = GetParam();
    probe_python_interpreter(&py_);
    ASSERT_TRUE(py_.probe_error.empty()) << py_.probe_error;
  }
  PythonInterpreter py_;
};

TEST_P(PythonLocatorTest, LiveAndCore) {
  TempDir dir;
  TargetProcess target({py_.path, kPyThreadsScript, "{ready_fd}", (dir / "truth").string()});
  // The spinner never sleeps: wait for ready only, then for the others.
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false, std::chrono::seconds(40)));
  PyTruth truth = read_python_truth(dir / "truth");
  ASSERT_TRUE(wait_blocked(truth, target.pid())) << target.output();
  std::string label = py_.version + " " + py_.path + (py_.is_stripped ? " (stripped)" : "");

  auto live = corostack::LiveProcess::open(target.pid());
  ASSERT_TRUE(live) << live.error().message;
  auto t0 = std::chrono::steady_clock::now();
  Result<PythonRuntime> found = corostack::python::locate_python(**live);
  auto t1 = std::chrono::steady_clock::now();
  std::cout << "locate " << label << " live: " << describe(found) << " ["
            << std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count() << " us]\n";

  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(version_of(*found), truth.python);
  EXPECT_NE(found->layout, nullptr);
  // 2.7 and 3.6 name the GIL holder in _PyThreadState_Current (exported).
  EXPECT_EQ(found->tstate_current.is_null(),
            !(py_.major == 2 || (py_.major == 3 && py_.minor == 6)));
  EXPECT_FALSE(found->interp_head.is_null());
  EXPECT_FALSE(found->runtime.is_null());
  // The runtime is in the ELF the probe says holds the interpreter.
  EXPECT_EQ(std::filesystem::canonical(found->module),
            std::filesystem::canonical(py_.runtime_binary));
  // Nine Python threads (eight started + main), all pointing back.
  EXPECT_EQ(found->thread_back_references, static_cast<int>(truth.threads.size()));

  // The fallbacks alone: no symbols, no .PyRuntime section.
  LocateOptions scans;
  scans.use_symbols = false;
  scans.use_sections = false;
  t0 = std::chrono::steady_clock::now();
  Result<PythonRuntime> scanned = corostack::python::locate_python(**live, scans);
  t1 = std::chrono::steady_clock::now();
  std::cout << "locate " << label << " live, scans only: " << describe(scanned) << " ["
            << std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count() << " us]\n";
  ASSERT_TRUE(scanned) << scanned.error().message;
  EXPECT_EQ(version_of(*scanned), truth.python);
  EXPECT_EQ(scanned->interp_head, found->interp_head);
  if (found->layout && found->layout->runtime_interpreters_head.present()) {
    EXPECT_EQ(scanned->runtime, found->runtime);
  }

  // The .PyRuntime section alone (3.10+ builds have it).
  if (elf_has_section(py_.runtime_binary, ".PyRuntime")) {
    LocateOptions sections;
    sections.use_symbols = false;
    Result<PythonRuntime> by_section = corostack::python::locate_python(**live, sections);
    std::cout << "locate " << label << " live, no symbols: " << describe(by_section) << "\n";
    ASSERT_TRUE(by_section) << by_section.error().message;
    EXPECT_EQ(by_section->runtime_source, ".PyRuntime section");
    EXPECT_EQ(by_section->runtime, found->runtime);
    EXPECT_EQ(by_section->interp_head, found->interp_head);
  }

  // PY_VERSION in the file's .rodata (the last version source before the
  // file name) agrees with the truth.
  {
    auto elf = corostack::python::PythonElfFile::open(py_.runtime_binary);
    ASSERT_TRUE(elf) << elf.error().message;
    auto rodata = (*elf)->section(".rodata");
    ASSERT_TRUE(rodata);
    auto v = corostack::python::find_version_in_bytes((*elf)->section_bytes(*rodata), py_.major,
                                                      py_.minor);
    ASSERT_TRUE(v) << "no " << py_.major << "." << py_.minor << ".N in .rodata";
    EXPECT_EQ(
        std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro),
        truth.python);
  }

  // A core of the same process: same answer.
  std::filesystem::path core = dir / "python.core";
  CommandResult g =
      run_corostack({"gcore", "-p", std::to_string(target.pid()), "-o", core.string()});
  ASSERT_TRUE(g.ok()) << g.describe();
  auto core_target = corostack::CoreFile::open(core.string());
  ASSERT_TRUE(core_target) << core_target.error().message;
  Result<PythonRuntime> from_core = corostack::python::locate_python(**core_target);
  std::cout << "locate " << label << " core: " << describe(from_core) << "\n";
  ASSERT_TRUE(from_core) << from_core.error().message;
  EXPECT_EQ(version_of(*from_core), truth.python);
  EXPECT_EQ(from_core->runtime, found->runtime);
  EXPECT_EQ(from_core->runtime_source, found->runtime_source);
  EXPECT_EQ(from_core->version_source, found->version_source);
  EXPECT_EQ(from_core->interp_head, found->interp_head);
  EXPECT_EQ(from_core->module, found->module);
}

INSTANTIATE_TEST_SUITE_P(Interpreters, PythonLocatorTest,
                         testing::ValuesIn(find_python_interpreter_paths()),
                         [](const testing::TestParamInfo<PythonInterpreter>& info) {
                           return info.param.name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PythonLocatorTest);

TEST(PythonLocatorCoverage, InterpretersFound) {
  std::vector<PythonInterpreter> found = find_python_interpreters();
  std::cout << "python locator " << describe_coverage(found) << std::flush;
  ASSERT_FALSE(found.empty()) << "no Python interpreter found: locate_python covered nothing";
  bool stripped = false;
  for (const PythonInterpreter& p : found) stripped = stripped || p.is_stripped;
  EXPECT_TRUE(stripped) << "no stripped interpreter (e.g. Debian's /usr/bin/python3.11) covered";
}

TEST(PythonLocatorNotPython, SleepIsNotPython) {
  TargetProcess target({"/bin/bash", "-c", "echo ready >&$0; exec sleep 300", "{ready_fd}"});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let exec finish
  auto live = corostack::LiveProcess::open(target.pid());
  ASSERT_TRUE(live) << live.error().message;
  Result<PythonRuntime> found = corostack::python::locate_python(**live);
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(found.error().message, "not a Python process");
}

}  // namespace
}  // namespace e2e
