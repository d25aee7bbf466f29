#include "native_target.hpp"

#include <sys/wait.h>

#include <fstream>

#include "paths.hpp"

namespace e2e {

std::vector<NativeBuild> native_builds() {
  return {{"O0", paths::kNativeThreadsO0}, {"O2", paths::kNativeThreadsO2}};
}

std::vector<std::string> native_threads_args() {
  return {"--threads", "2", "--depth", "6"};
}

testing::AssertionResult start_blocked(const std::string& exe, const std::vector<std::string>& args,
                                       const TempDir& dir, std::unique_ptr<TargetProcess>* target,
                                       Truth* truth) {
  std::vector<std::string> argv{exe, "{ready_fd}", (dir / "truth").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  *target = std::make_unique<TargetProcess>(argv);
  testing::AssertionResult ready = (*target)->wait_ready();
  if (!ready) return ready;
  *truth = read_truth(dir / "truth");
  if (truth->pid != (*target)->pid())
    return testing::AssertionFailure() << "truth pid " << truth->pid << " != " << (*target)->pid();
  return testing::AssertionSuccess();
}

std::string kernel_core_unavailable() {
  std::ifstream in("/proc/sys/kernel/core_pattern");
  std::string pattern;
  std::getline(in, pattern);
  if (pattern.empty() || pattern[0] == '|' || pattern.find('/') != std::string::npos)
    return "core_pattern is '" + pattern + "', not a file in the cwd";
  return "";
}

testing::AssertionResult make_kernel_core(const std::string& exe, const TempDir& dir, Truth* truth,
                                          std::filesystem::path* core) {
  std::filesystem::path cwd = dir / "cwd";
  std::filesystem::create_directory(cwd);
  std::vector<std::string> argv{exe, "{ready_fd}", (dir / "truth").string()};
  std::vector<std::string> args = native_threads_args();
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--crash");

  TargetProcess target(argv, {cwd, /*unlimited_core=*/true});
  // The main thread crashes right after ready: it never sleeps.
  testing::AssertionResult ready = target.wait_ready(/*all_sleeping=*/false);
  if (!ready) return ready;
  *truth = read_truth(dir / "truth");
  // Writing a core of a few tens of MB can take a while on a slow disk.
  std::optional<int> status = target.wait_exit(std::chrono::seconds(60));
  if (!status) return testing::AssertionFailure() << "crash target did not exit";
  if (!WIFSIGNALED(*status) || !WCOREDUMP(*status))
    return testing::AssertionFailure()
           << "crash target did not dump core (wait status " << *status << ")\n"
           << target.output();
  // The cwd is fresh and the target writes nothing else there, so whatever
  // file appears is the core, however core_pattern and core_uses_pid name it
  // ("core" on this machine; "core.PID" with core_uses_pid=1).
  for (const auto& entry : std::filesystem::directory_iterator(cwd)) {
    if (entry.is_regular_file()) {
      *core = entry.path();
      return testing::AssertionSuccess();
    }
  }
  return testing::AssertionFailure() << "no core file in " << cwd;
}

}  // namespace e2e
