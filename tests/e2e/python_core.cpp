#include "python_core.hpp"

#include <string>

#include "corostack.hpp"

namespace e2e {

testing::AssertionResult write_python_core(pid_t pid, const std::filesystem::path& path,
                                           PythonCore* out) {
  CommandResult g = run_corostack({"gcore", "-p", std::to_string(pid), "-o", path.string()});
  if (!g.ok()) return testing::AssertionFailure() << g.describe();
  auto core = corostack::CoreFile::open(path.string());
  if (!core) return testing::AssertionFailure() << core.error().message;
  auto runtime = corostack::python::locate_python(**core);
  if (!runtime) return testing::AssertionFailure() << runtime.error().message;
  if (!runtime->layout) return testing::AssertionFailure() << "no layout for the core's Python";
  out->core = std::move(*core);
  out->runtime = std::move(*runtime);
  return testing::AssertionSuccess();
}

}  // namespace e2e
