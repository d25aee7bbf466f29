#include "doctor_support.hpp"

namespace e2e {

testing::AssertionResult run_doctor_json(pid_t pid, bool core, const std::filesystem::path& dir,
                                         JsonRun* run, const std::vector<std::string>& extra_args) {
  std::vector<std::string> args = {"doctor", "--json"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  if (core) {
    auto path = dir / "doctor.core";
    auto g = run_corostack({"gcore", "-p", std::to_string(pid), "-o", path.string()});
    if (!g.ok()) return testing::AssertionFailure() << g.describe();
    args.insert(args.end(), {"--core", path.string()});
  } else {
    args.insert(args.end(), {"-p", std::to_string(pid)});
  }
  *run = run_corostack_json(args);
  if (run->json.is_discarded())
    return testing::AssertionFailure() << run->parse_error << "\n" << run->cmd.describe();
  return testing::AssertionSuccess();
}

std::vector<DoctorCase> doctor_cases() {
  std::vector<DoctorCase> out;
  for (const PythonInterpreter& py : find_python_interpreter_paths())
    for (bool core : {false, true}) out.push_back({py, core});
  return out;
}

std::string doctor_case_name(const testing::TestParamInfo<DoctorCase>& info) {
  return info.param.py.name + (info.param.core ? "_core" : "_live");
}

}  // namespace e2e
