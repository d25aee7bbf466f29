// `corostack doctor` on tasks waiting on things nobody else can reach
// (tests/targets/python/py_orphaned.py): a private future, an Event and a
// Queue only their task references are "orphaned-await" findings naming the
// task, the object's address as the target recorded it, and the task blocked
// behind one; futures others hold (a list, a weak reference, a timer) and a
// shared Event are not; asyncio.run's main task awaiting its own future (the
// "run forever" idiom) is a healthy line, not a finding. Every CPython 3.8+
// found, live and on a core written by `corostack gcore`.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "corostack.hpp"
#include "doctor_support.hpp"
#include "python_interpreters.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

class DoctorOrphanedTest : public testing::TestWithParam<DoctorCase> {};

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// The orphaned-await finding about task `name`, or null.
const nlohmann::json* orphan_finding(const nlohmann::json& findings, const std::string& name) {
  for (const auto& f : findings)
    if (f["kind"] == "orphaned-await" &&
        contains(f["summary"].get<std::string>(), "task \"" + name + "\" ("))
      return &f;
  return nullptr;
}

TEST_P(DoctorOrphanedTest, PrivateWaitsAreFoundSharedOnesAreNot) {
  DoctorCase c = GetParam();
  SKIP_UNLESS_ASYNCIO(c.py);
  std::cout << "doctor orphaned awaits: " << c.py.version << " " << c.py.path << "\n";
  TempDir dir;
  auto truth_path = dir / "truth";
  TargetProcess target({c.py.path, PY_ORPHANED_SCRIPT, "{ready_fd}", truth_path.string()});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/true)) << target.output();
  nlohmann::json truth = nlohmann::json::parse(std::ifstream(truth_path));

  JsonRun run;
  ASSERT_TRUE(run_doctor_json(target.pid(), c.core, dir.path(), &run));
  EXPECT_EQ(run.cmd.exit_code, 3) << run.cmd.describe();
  const auto& findings = run.json["findings"];
  size_t orphans = 0;
  for (const auto& f : findings) orphans += f["kind"] == "orphaned-await";
  EXPECT_EQ(orphans, truth["orphaned"].size()) << findings.dump(2);

  for (const auto& [name, what] : truth["orphaned"].items()) {
    const nlohmann::json* f = orphan_finding(findings, name);
    ASSERT_NE(f, nullptr) << name << " not found:\n" << findings.dump(2);
    EXPECT_EQ((*f)["severity"], "warning");
    std::string summary = (*f)["summary"];
    EXPECT_TRUE(contains(summary, what.get<std::string>() + " nothing else references")) << summary;
    std::string address = truth["addresses"][name];
    EXPECT_TRUE(contains((*f)["evidence"][0].get<std::string>(),
                         what.get<std::string>() + " " + address + " has "))
        << (*f)["evidence"].dump(2);
  }
  for (const auto& [blocked, by] : truth["blocked_by"].items()) {
    const nlohmann::json* f = orphan_finding(findings, by);
    ASSERT_NE(f, nullptr);
    bool named = false;
    for (const auto& e : (*f)["evidence"])
      named |= contains(e.get<std::string>(), "task \"" + blocked + "\" (") &&
               contains(e.get<std::string>(), "waits for it too");
    EXPECT_TRUE(named) << (*f)["evidence"].dump(2);
    EXPECT_EQ(orphan_finding(findings, blocked), nullptr);
  }
  for (const auto& name : truth["controls"])
    EXPECT_EQ(orphan_finding(findings, name), nullptr) << name << " flagged:\n" << findings.dump(2);

  // `tasks --json` marks the same waits, and the run-forever one as such.
  if (!c.core) {
    JsonRun tasks = run_corostack_json({"tasks", "--json", "-p", std::to_string(target.pid())});
    ASSERT_FALSE(tasks.json.is_discarded()) << tasks.parse_error << tasks.cmd.describe();
    std::map<std::string, bool> marked;  // task name -> run_forever
    for (const auto& t : tasks.json["tasks"])
      if (t["awaiting"].is_object() && t["awaiting"].contains("orphaned"))
        marked[t["name"]] = t["awaiting"]["orphaned"]["run_forever"];
    for (const auto& [name, what] : truth["orphaned"].items())
      EXPECT_TRUE(marked.contains(name) && !marked[name]) << name << "\n" << tasks.json.dump(2);
    size_t run_forever = 0;
    for (const auto& [name, root] : marked) run_forever += root;
    EXPECT_EQ(marked.size(), truth["orphaned"].size() + 1) << tasks.json.dump(2);
    EXPECT_EQ(run_forever, 1u);
  }

  bool idiom = false;
  for (const auto& h : run.json["healthy"])
    idiom |= contains(h.get<std::string>(), "which asyncio.run waits for") &&
             contains(h.get<std::string>(), "\"run forever\" idiom");
  EXPECT_TRUE(idiom) << run.json["healthy"].dump(2);
}

INSTANTIATE_TEST_SUITE_P(Interpreters, DoctorOrphanedTest, testing::ValuesIn(doctor_cases()),
                         doctor_case_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DoctorOrphanedTest);

}  // namespace
}  // namespace e2e
