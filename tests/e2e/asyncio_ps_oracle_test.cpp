// CPython's own `python -m asyncio ps PID` (3.14+, same version, live only)
// as the oracle for `corostack tasks`: the same tasks (id and name), the
// same coroutine stack per task (function names, innermost first) and the
// same awaiter ids, live, and the same again from a corostack gcore core of
// that process, which CPython's tool cannot read.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "corostack.hpp"
#include "python_interpreters.hpp"
#include "run_command.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

using json = nlohmann::json;

constexpr const char* kScript = PY_ASYNCIO_SCRIPT;

struct PsRow {
  std::string name;
  std::string stack;  // "sleep -> sleeper", innermost first
};

// `asyncio ps` prints fixed-width columns: tid (10), task id (20), task name
// (20), coroutine stack (50), awaiter chain (50), awaiter name (15), awaiter
// id (15), each followed by a space; a longer value pushes the rest right, so
// the row is split by the first two fields and the last one, and the stack is
// taken from its column start up to the awaiter chain's.
struct PsTable {
  std::map<std::string, PsRow> tasks;                      // task id -> row
  std::set<std::pair<std::string, std::string>> awaiters;  // (task id, awaiter id)
};

PsTable parse_ps(const std::string& out) {
  PsTable t;
  std::istringstream in(out);
  std::string line;
  static const std::regex row(R"(^(\d+)\s+(0x[0-9a-f]+)\s+(.*?)\s+(0x[0-9a-f]+)\s*$)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, row)) continue;
    std::string id = m[2], rest = m[3], awaiter = m[4];
    // rest: name (padded to 20) then the stack (50) then the chain and name.
    std::string name = rest.substr(0, std::min<size_t>(20, rest.size()));
    name.erase(name.find_last_not_of(' ') + 1);
    std::string stack = rest.size() > 21 ? rest.substr(21, 50) : "";
    stack.erase(stack.find_last_not_of(' ') + 1);
    t.tasks[id] = {name, stack};
    if (awaiter != "0x0") t.awaiters.insert({id, awaiter});
  }
  return t;
}

void compare(const PsTable& ps, const JsonRun& run) {
  ASSERT_FALSE(run.json.is_discarded()) << run.parse_error << run.cmd.describe();
  const json& j = run.json;
  std::map<std::string, const json*> ours;
  for (const json& t : j.at("tasks")) ours[t.at("id").get<std::string>()] = &t;
  std::set<std::pair<std::string, std::string>> our_awaiters;
  for (const json& e : j.at("edges"))
    our_awaiters.insert({e.at("child").get<std::string>(), e.at("parent").get<std::string>()});
  size_t compared = 0;
  for (const auto& [id, row] : ps.tasks) {
    SCOPED_TRACE("task " + id + " " + row.name);
    auto it = ours.find(id);
    ASSERT_NE(it, ours.end()) << "asyncio ps lists it, corostack does not";
    const json& t = *it->second;
    // Names longer than the column are cut by asyncio ps.
    EXPECT_EQ(t.at("name").get<std::string>().substr(0, 20), row.name);
    std::string stack;
    for (const json& f : t.at("stack")) {
      if (!stack.empty()) stack += " -> ";
      stack += f.at("function").get<std::string>();
    }
    if (row.stack.size() < 50) {  // a full column may be cut
      EXPECT_EQ(stack, row.stack);
    }
    ++compared;
  }
  // Every awaiter asyncio ps names is an edge of ours.
  for (const auto& edge : ps.awaiters) EXPECT_TRUE(our_awaiters.count(edge)) << edge.first;
  // corostack sees more than asyncio ps: pure-Python tasks (_PyTask is on
  // no C task list) and, here, the second loop's thread's tasks. Said, not
  // failed.
  std::string extra;
  for (const auto& [id, t] : ours)
    if (!ps.tasks.count(id)) extra += " " + t->at("name").get<std::string>();
  std::cout << "asyncio ps oracle: " << compared << " tasks agree; only corostack lists:" << extra
            << "\n";
  EXPECT_GT(compared, 30u);
}

class AsyncioPsOracleTest : public testing::TestWithParam<PythonInterpreter> {};

TEST_P(AsyncioPsOracleTest, TasksAgreeWithAsyncioPsLiveAndOnCore) {
  PythonInterpreter py = GetParam();
  probe_python_interpreter(&py);
  ASSERT_TRUE(py.probe_error.empty()) << py.probe_error;
  if (py.major != 3 || py.minor < 14)
    GTEST_SKIP() << "SKIPPED LOUDLY: `python -m asyncio ps` exists from 3.14; this is "
                 << py.version;
  std::cout << "asyncio ps oracle: " << py.version << (py.free_threaded ? "t " : " ") << py.path
            << "\n";
  TempDir dir;
  TargetProcess target(
      {py.path, kScript, "{ready_fd}", (dir / "truth").string(), "--many", "20", "--no-cycle"});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/true, std::chrono::seconds(40)))
      << target.output();
  std::string pid = std::to_string(target.pid());
  CommandResult ps = run_command({py.path, "-m", "asyncio", "ps", pid}, std::chrono::seconds(60));
  ASSERT_TRUE(ps.ok()) << ps.describe();
  PsTable table = parse_ps(ps.out);
  ASSERT_GT(table.tasks.size(), 30u) << ps.out;
  {
    SCOPED_TRACE("live");
    compare(table, run_corostack_json({"tasks", "-p", pid, "--json"}));
  }
  auto core = dir / "core";
  CommandResult gcore = run_corostack({"gcore", "-p", pid, "-o", core.string()});
  ASSERT_TRUE(gcore.ok()) << gcore.describe();
  {
    SCOPED_TRACE("core");
    compare(table, run_corostack_json({"tasks", "--core", core.string(), "--json"}));
  }
}

INSTANTIATE_TEST_SUITE_P(Interpreters, AsyncioPsOracleTest,
                         testing::ValuesIn(find_python_interpreter_paths()),
                         [](const testing::TestParamInfo<PythonInterpreter>& info) {
                           return info.param.name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(AsyncioPsOracleTest);

}  // namespace
}  // namespace e2e
