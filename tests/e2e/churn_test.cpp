// Churn (issue 7): consecutive dump / tasks / coro runs against targets that
// never hold still (tests/targets/churn.cpp: threads and C++ coroutine frames
// created and destroyed as fast as they can be; py_churn.py: threads and
// asyncio tasks likewise). Every run is bounded by a timeout and must end
// with exit code 0 (complete) or 1 (partial, said on stderr), never a crash,
// a hang, exit 2 or malformed output: JSON must parse, text must be safe for
// a terminal. After every run neither target may be stopped or traced.
//
// COROSTACK_CHURN_RUNS runs (default 20 in make test; 10 000 under
// COROSTACK_SOAK, i.e. `make soak`). The summary line gives the figures
// recorded in docs/reliability.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "paths.hpp"
#include "process_state.hpp"
#include "python_interpreters.hpp"
#include "run_command.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

using namespace std::chrono_literals;

int churn_runs() {
  if (const char* v = std::getenv("COROSTACK_CHURN_RUNS")) return std::atoi(v);
  return std::getenv("COROSTACK_SOAK") ? 10000 : 20;
}

// No raw C0 control but newline, no DEL, no C1 control (UTF-8 C2 80..9F).
bool terminal_safe(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    auto b = static_cast<unsigned char>(s[i]);
    if ((b < 0x20 && b != '\n') || b == 0x7f) return false;
    if (b == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xa0 &&
        static_cast<unsigned char>(s[i + 1]) >= 0x80)
      return false;
  }
  return true;
}

struct Stats {
  int runs = 0;
  std::map<int, int> exit_codes;
  int timeouts = 0, crashes = 0, malformed = 0, unmarked_partial = 0;
  std::vector<long> ms;
};

std::optional<PythonInterpreter> newest_python() {
  std::optional<PythonInterpreter> best;
  for (PythonInterpreter p : find_python_interpreter_paths()) {
    probe_python_interpreter(&p);
    if (!p.probe_error.empty() || p.major != 3 || p.minor < 8) continue;
    if (!best || p.minor > best->minor || (p.minor == best->minor && p.is_pyenv)) best = p;
  }
  return best;
}

TEST(Churn, ConsecutiveRunsAgainstChurningTargets) {
  auto py = newest_python();
  if (!py) GTEST_SKIP() << "SKIPPED LOUDLY: no CPython 3.8+ found";
  TargetProcess native({paths::kChurn, "{ready_fd}"});
  TargetProcess python({py->path, paths::kPyChurnScript, "{ready_fd}"});
  ASSERT_TRUE(native.wait_ready(/*all_sleeping=*/false)) << native.output();
  ASSERT_TRUE(python.wait_ready(/*all_sleeping=*/false, 40s)) << python.output();
  const std::string native_pid = std::to_string(native.pid());
  const std::string python_pid = std::to_string(python.pid());

  const int runs = churn_runs();
  std::map<std::string, Stats> stats;
  std::vector<std::string> failures;
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < runs; ++i) {
    // dump (alternately the Python and the C++ target), tasks, coro; three
    // runs in four print JSON, the fourth text.
    std::string command = i % 3 == 0 ? "dump" : i % 3 == 1 ? "tasks" : "coro";
    bool on_python = command == "tasks" || (command == "dump" && (i / 3) % 2 == 0);
    bool json = (i / 3) % 4 != 3;
    std::string key = command + (command == "dump" ? (on_python ? " (py)" : " (c++)") : "") +
                      (json ? " --json" : "");
    std::vector<std::string> argv{paths::kCorostack, command, "-p",
                                  on_python ? python_pid : native_pid};
    if (json) argv.push_back("--json");

    auto t0 = std::chrono::steady_clock::now();
    CommandResult r = run_command(argv, 30s);
    long ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    Stats& s = stats[key];
    ++s.runs;
    s.ms.push_back(ms);
    std::string why;
    if (r.timed_out) {
      ++s.timeouts;
      why = "hang";
    } else if (r.signal != 0) {
      ++s.crashes;
      why = "crash (signal " + std::to_string(r.signal) + ")";
    } else {
      ++s.exit_codes[r.exit_code];
      if (r.exit_code != 0 && r.exit_code != 1) {
        why = "exit " + std::to_string(r.exit_code);
      } else if (r.exit_code == 1 && r.err.empty()) {
        ++s.unmarked_partial;
        why = "exit 1 without a word on stderr";
      }
      bool well_formed = json ? !nlohmann::json::parse(r.out, nullptr, false).is_discarded()
                              : terminal_safe(r.out) && !r.out.empty();
      if (!well_formed) {
        ++s.malformed;
        why += (why.empty() ? "" : "; ") + std::string("malformed output");
      }
    }
    if (!why.empty() && failures.size() < 20)
      failures.push_back("run " + std::to_string(i) + " " + key + ": " + why + "\n" + r.describe() +
                         "\nstdout: " + r.out.substr(0, 2000));
    for (const TargetProcess* t : {&native, &python}) {
      std::string bad = traced_or_stopped_thread(t->pid());
      ASSERT_EQ(bad, "") << "run " << i << " " << key << " left the target stopped or traced";
    }
  }
  auto total_s = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count() /
                 1000.0;

  std::cout << "[ info ] churn: " << runs << " runs in " << total_s << " s, python " << py->version
            << " (" << py->path << ")\n";
  int bad = 0;
  for (auto& [key, s] : stats) {
    std::sort(s.ms.begin(), s.ms.end());
    long sum = 0;
    for (long m : s.ms) sum += m;
    std::cout << "[ info ]   " << key << ": " << s.runs << " runs; exit";
    for (const auto& [code, n] : s.exit_codes) std::cout << " " << code << ":" << n;
    std::cout << "; " << s.timeouts << " hangs, " << s.crashes << " crashes, " << s.malformed
              << " malformed; ms mean " << sum / std::max<long>(1, s.runs) << " p50 "
              << s.ms[s.ms.size() / 2] << " p99 " << s.ms[s.ms.size() * 99 / 100] << " max "
              << s.ms.back() << "\n";
    bad += s.timeouts + s.crashes + s.malformed + s.unmarked_partial;
    for (const auto& [code, n] : s.exit_codes)
      if (code != 0 && code != 1) bad += n;
  }
  for (const std::string& f : failures) ADD_FAILURE() << f;
  EXPECT_EQ(bad, 0);
  // The targets churned on through it all.
  EXPECT_EQ(native.wait_exit(0ms), std::nullopt) << native.output();
  EXPECT_EQ(python.wait_exit(0ms), std::nullopt) << python.output();
}

}  // namespace
}  // namespace e2e
