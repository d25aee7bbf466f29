#pragma once
// Runs `corostack doctor --json` on a live target, or on a core of it written
// by `corostack gcore` first: the two ways every doctor e2e test reads.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "corostack.hpp"
#include "python_interpreters.hpp"

namespace e2e {

// Fills `run`; fails (for ASSERT_TRUE) when gcore fails or stdout is not JSON.
testing::AssertionResult run_doctor_json(pid_t pid, bool core, const std::filesystem::path& dir,
                                         JsonRun* run,
                                         const std::vector<std::string>& extra_args = {});

// Probes `py` (failing the test when the probe fails) and skips the test,
// loudly, for a Python without asyncio as corostack reads it (< 3.8).
#define SKIP_UNLESS_ASYNCIO(py)                                 \
  do {                                                          \
    probe_python_interpreter(&(py));                            \
    ASSERT_TRUE((py).probe_error.empty()) << (py).probe_error;  \
    if ((py).major < 3 || ((py).major == 3 && (py).minor < 8))  \
      GTEST_SKIP() << "SKIPPED LOUDLY: Python " << (py).version \
                   << ": corostack reads asyncio from 3.8 on";  \
  } while (0)

// Every interpreter found, read live and from a core: what most doctor tests run.
struct DoctorCase {
  PythonInterpreter py;
  bool core = false;
};
std::vector<DoctorCase> doctor_cases();
std::string doctor_case_name(const testing::TestParamInfo<DoctorCase>& info);

}  // namespace e2e
