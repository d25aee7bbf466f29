#pragma once
// A core of a live Python target, written by `corostack gcore`, opened and
// with its interpreter located: the setup the in-process Python e2e tests share.
#include <gtest/gtest.h>
#include <sys/types.h>

#include <filesystem>
#include <memory>

#include "python/python_locator.hpp"
#include "target/core_file.hpp"

namespace e2e {

struct PythonCore {
  std::unique_ptr<corostack::CoreFile> core;
  corostack::python::PythonRuntime runtime;  // with a layout
};

testing::AssertionResult write_python_core(pid_t pid, const std::filesystem::path& path,
                                           PythonCore* out);

}  // namespace e2e
