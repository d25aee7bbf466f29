#pragma once
// Runs `corostack doctor --json` on a live target, or on a core of it written
// by `corostack gcore` first: the two ways every doctor e2e test reads.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "corostack.hpp"

namespace e2e {

// Fills `run`; fails (for ASSERT_TRUE) when gcore fails or stdout is not JSON.
testing::AssertionResult run_doctor_json(pid_t pid, bool core, const std::filesystem::path& dir,
                                         JsonRun* run,
                                         const std::vector<std::string>& extra_args = {});

}  // namespace e2e
