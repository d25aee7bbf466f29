#pragma once
// Running tests/targets/native_threads for a test: the builds to cover, a
// live target in its known state, and a kernel core of its --crash mode.
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "target_process.hpp"
#include "temp_dir.hpp"
#include "truth.hpp"

namespace e2e {

struct NativeBuild {
  std::string name;  // "O0", "O2": used in test names
  std::string exe;
};

std::vector<NativeBuild> native_builds();

// For gtest's messages about parameterized tests.
inline void PrintTo(const NativeBuild& b, std::ostream* os) {
  *os << b.name << " " << b.exe;
}

// Starts exe (native_threads or many_threads protocol) with its truth in
// dir/truth, waits until it is ready and every thread sleeps, reads the truth.
testing::AssertionResult start_blocked(const std::string& exe, const std::vector<std::string>& args,
                                       const TempDir& dir, std::unique_ptr<TargetProcess>* target,
                                       Truth* truth);

// Runs native_threads --crash with cwd dir/cwd and RLIMIT_CORE unlimited,
// waits for it to die and finds the core the kernel wrote in dir/cwd.
testing::AssertionResult make_kernel_core(const std::string& exe, const TempDir& dir, Truth* truth,
                                          std::filesystem::path* core);

// Why the kernel will not write a core file into the cwd (e.g. core_pattern
// pipes cores to systemd-coredump), or "" when it will.
std::string kernel_core_unavailable();

// Arguments for native_threads after <ready_fd> <truth>: two deep threads of
// depth 6, so recursion shows up without making failure output unreadable.
std::vector<std::string> native_threads_args();

}  // namespace e2e
