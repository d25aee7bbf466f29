// `corostack tasks` against tests/targets/python/py_asyncio.py under every
// CPython 3.8+ on the machine, live and on a corostack gcore core: the set of
// tasks, their ids, names, states, kinds (C or pure-Python), loops and
// threads, each task's coroutine stack (function, file, line), what it waits
// on, the await graph the target built, the cycle, and the pstree form.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "asyncio_truth.hpp"
#include "corostack.hpp"
#include "python_interpreters.hpp"
#include "run_command.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

using nlohmann::json;

constexpr const char* kPyAsyncioScript = PY_ASYNCIO_SCRIPT;
constexpr int kBulkTasks = 200;

std::string hex(uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

std::string expected_function(const AsyncTruthFrame& f) {
  return f.qualname.value_or(f.func);
}

std::string describe_stack(const json& stack) {
  std::string out;
  for (const json& f : stack)
    out += "\n    " + f.at("function").get<std::string>() + " " + f.at("file").get<std::string>() +
           ":" + (f.at("line").is_null() ? "?" : std::to_string(f.at("line").get<int>()));
  return out;
}

void check_stack(const AsyncTruthTask& want, const json& got) {
  const json& stack = got.at("stack");
  if (want.running) {
    // The thread's live frames down to the task's coroutine: the truth's
    // coroutine frames are the outermost ones.
    ASSERT_GE(stack.size(), want.stack.size()) << describe_stack(stack);
    size_t skip = stack.size() - want.stack.size();
    for (size_t i = 0; i < want.stack.size(); ++i) {
      EXPECT_EQ(stack[skip + i].at("function"), expected_function(want.stack[i]));
      EXPECT_EQ(stack[skip + i].at("line"), want.stack[i].line);
    }
    ASSERT_FALSE(stack.empty());
    EXPECT_NE(stack.front().at("function").get<std::string>().find("wait"), std::string::npos)
        << "the running task blocks in threading.Event.wait" << describe_stack(stack);
    return;
  }
  ASSERT_EQ(stack.size(), want.stack.size()) << describe_stack(stack);
  for (size_t i = 0; i < want.stack.size(); ++i) {
    SCOPED_TRACE("frame " + std::to_string(i));
    EXPECT_EQ(stack[i].at("function"), expected_function(want.stack[i]));
    EXPECT_EQ(stack[i].at("file"), want.stack[i].co_filename);
    EXPECT_EQ(stack[i].at("line"), want.stack[i].line);
  }
}

// Compares `tasks --json` with the truth; returns name -> id for the tree check.
void check_tasks(const AsyncTruth& truth, const JsonRun& run) {
  ASSERT_FALSE(run.json.is_discarded()) << run.parse_error << run.cmd.describe();
  EXPECT_EQ(run.cmd.exit_code, 0) << run.cmd.describe();
  const json& j = run.json;
  EXPECT_TRUE(j.at("asyncio_imported").get<bool>());
  EXPECT_TRUE(j.at("errors").empty()) << j.at("errors").dump();

  std::map<std::string, const json*> by_name;
  std::map<std::string, std::string> name_of_id;
  for (const json& t : j.at("tasks")) {
    std::string name = t.at("name");
    EXPECT_TRUE(by_name.emplace(name, &t).second) << "task listed twice: " << name;
    name_of_id[t.at("id")] = name;
  }
  EXPECT_EQ(by_name.size(), truth.tasks.size());
  std::map<std::string, pid_t> tid_of_loop;
  for (const AsyncTruthThread& th : truth.threads)
    if (th.loop) tid_of_loop[*th.loop] = th.tid;

  for (const AsyncTruthTask& want : truth.tasks) {
    SCOPED_TRACE("task " + want.name);
    auto it = by_name.find(want.name);
    ASSERT_NE(it, by_name.end()) << "missing";
    const json& got = *it->second;
    EXPECT_EQ(got.at("id"), hex(want.id));
    EXPECT_EQ(got.at("state"), want.state);
    EXPECT_EQ(got.at("c_task"), want.c_task);
    EXPECT_EQ(got.at("running"), want.running);
    EXPECT_TRUE(got.at("errors").empty()) << got.at("errors").dump();
    ASSERT_FALSE(got.at("thread").is_null());
    EXPECT_EQ(got.at("thread").at("tid"), tid_of_loop.at(want.loop));
    check_stack(want, got);
    if (want.state != "pending") continue;
    const json& awaiting = got.at("awaiting");
    if (want.awaits_kind == "none") {
      EXPECT_TRUE(awaiting.is_null()) << awaiting.dump();
    } else if (want.awaits_task) {
      ASSERT_FALSE(awaiting.is_null());
      EXPECT_EQ(awaiting.at("task"), *want.awaits_task);
    } else {
      ASSERT_FALSE(awaiting.is_null());
      std::string type = awaiting.at("type");
      EXPECT_TRUE(type == want.awaits_type || type.ends_with("." + want.awaits_type))
          << type << " vs " << want.awaits_type;
      // Who made the future, for the tasks built to wait on each kind
      // ("Lock.acquire" where code has qualnames, "asyncio.locks:acquire" before 3.11).
      static const std::map<std::string, std::string> kOwners = {{"on_sleep", "sleep"},
                                                                 {"on_queue", "Queue.get"},
                                                                 {"on_lock", "acquire"},
                                                                 {"on_event", "wait"},
                                                                 {"on_socket", "stream read"},
                                                                 {"on_executor", "run_in_executor"},
                                                                 {"on_as_completed", "Queue.get"},
                                                                 {"bulk_0", "sleep"}};
      if (auto o = kOwners.find(want.name); o != kOwners.end()) {
        ASSERT_TRUE(awaiting.at("owner").is_string()) << want.name << " " << awaiting.dump();
        EXPECT_TRUE(awaiting.at("owner").get<std::string>().ends_with(o->second))
            << want.name << " " << awaiting.dump();
      }
    }
  }

  // The await graph: exactly the edges the target built.
  std::set<std::pair<std::string, std::string>> want_edges, got_edges;
  std::map<std::pair<std::string, std::string>, std::string> got_via;
  for (const AsyncTruthEdge& e : truth.edges) want_edges.insert({e.child, e.parent});
  for (const json& e : j.at("edges")) {
    std::pair<std::string, std::string> key{name_of_id[e.at("child")], name_of_id[e.at("parent")]};
    got_edges.insert(key);
    got_via[key] = e.at("via");
  }
  EXPECT_EQ(got_edges, want_edges);
  for (const AsyncTruthEdge& e : truth.edges) {
    auto v = got_via.find({e.child, e.parent});
    if (v == got_via.end()) continue;
    // wait_for is a direct await of the inner task from 3.12 on.
    if (e.via == "wait_for") {
      EXPECT_TRUE(v->second == "wait_for" || v->second == "await") << e.child << " " << v->second;
    } else {
      EXPECT_EQ(v->second, e.via) << e.child << " -> " << e.parent;
    }
  }

  std::set<std::set<std::string>> want_cycles, got_cycles;
  for (const auto& c : truth.cycles) want_cycles.insert(std::set<std::string>(c.begin(), c.end()));
  for (const json& c : j.at("cycles")) {
    std::set<std::string> names;
    for (const json& id : c) names.insert(name_of_id[id]);
    got_cycles.insert(names);
  }
  EXPECT_EQ(got_cycles, want_cycles);

  // Loops: the thread each runs on and the task running on it.
  for (const AsyncTruthLoop& l : truth.loops) {
    SCOPED_TRACE("loop " + l.name);
    const json* got = nullptr;
    for (const json& g : j.at("loops"))
      if (g.at("id") == hex(l.id)) got = &g;
    ASSERT_NE(got, nullptr);
    EXPECT_EQ(got->at("thread_ident"), l.thread_ident);
    if (l.current_task) {
      EXPECT_EQ(name_of_id[got->at("current_task")], *l.current_task);
    } else {
      EXPECT_TRUE(got->at("current_task").is_null());
    }
  }

  // Coroutines never awaited: exactly the ones the target left unscheduled
  // (its tasks' coroutines, started or not, are not among them).
  std::set<std::pair<std::string, std::string>> want_unawaited, got_unawaited;
  for (const AsyncTruthCoroutine& c : truth.unawaited)
    want_unawaited.emplace(hex(c.id), c.qualname);
  for (const json& c : j.at("unawaited")) {
    got_unawaited.emplace(c.at("id"), c.at("qualname"));
    EXPECT_EQ(c.at("file"), PY_ASYNCIO_SCRIPT);
  }
  EXPECT_EQ(got_unawaited, want_unawaited);
  if (j.contains("unawaited_not_checked")) {
    EXPECT_NE(j.at("unawaited_not_checked").get<std::string>().find("free-threaded"),
              std::string::npos);
  } else {
    EXPECT_GT(j.at("gc_objects_scanned").get<uint64_t>(), truth.tasks.size());
  }
}

// `dump --async --json`: each loop under the thread that runs it, with its
// running task and its suspended tasks counted by (innermost coroutine, Task
// or a future), as the truth's stacks and awaited objects say.
void check_dump_async(const AsyncTruth& truth, const JsonRun& run) {
  ASSERT_FALSE(run.json.is_discarded()) << run.parse_error << run.cmd.describe();
  EXPECT_EQ(run.cmd.exit_code, 0) << run.cmd.describe();
  const json& j = run.json;
  EXPECT_TRUE(j.at("asyncio").at("errors").empty()) << j.at("asyncio").dump();
  using Key = std::pair<std::string, std::string>;  // (innermost function, "Task" or "future")
  for (const AsyncTruthLoop& l : truth.loops) {
    SCOPED_TRACE("loop " + l.name);
    std::map<Key, size_t> want;
    size_t finished = 0;
    for (const AsyncTruthTask& t : truth.tasks) {
      if (t.loop != l.name || t.running) continue;
      if (t.state != "pending") {
        ++finished;
        continue;
      }
      ASSERT_FALSE(t.stack.empty()) << t.name;
      ++want[{expected_function(t.stack.front()), t.awaits_task ? "Task" : "future"}];
    }
    const json* got = nullptr;
    for (const json& th : j.at("threads")) {
      for (const json& loop : th.at("asyncio")) {
        if (loop.at("id") != hex(l.id)) continue;
        EXPECT_EQ(th.at("python").at("thread_id"), l.thread_ident);
        got = &loop;
      }
    }
    ASSERT_NE(got, nullptr) << "loop not under its thread";
    if (l.current_task) {
      ASSERT_FALSE(got->at("running_task").is_null());
      EXPECT_EQ(got->at("running_task").at("name"), *l.current_task);
    } else {
      EXPECT_TRUE(got->at("running_task").is_null());
    }
    EXPECT_EQ(got->at("finished"), finished);
    std::map<Key, size_t> have;
    size_t total = 0;
    for (const json& row : got->at("by_awaitable")) {
      std::string what = row.at("awaitable");
      auto arrow = what.find(" \u2192 ");
      ASSERT_NE(arrow, std::string::npos) << what;
      std::string awaited = what.substr(arrow + std::string(" \u2192 ").size());
      have[{what.substr(0, arrow), awaited == "Task" ? "Task" : "future"}] +=
          row.at("count").get<size_t>();
      total += row.at("count").get<size_t>();
    }
    EXPECT_EQ(got->at("suspended"), total);
    EXPECT_EQ(have, want);
  }
  std::set<std::string> want_unawaited, got_unawaited;
  for (const AsyncTruthCoroutine& c : truth.unawaited) want_unawaited.insert(hex(c.id));
  for (const json& c : j.at("asyncio").at("unawaited")) got_unawaited.insert(c.at("id"));
  EXPECT_EQ(got_unawaited, want_unawaited);
}

// In the tree each task hangs under its awaiter: the nearest task above it.
void check_tree(const AsyncTruth& truth, const CommandResult& tree) {
  ASSERT_EQ(tree.exit_code, 0) << tree.describe();
  std::map<std::string, std::string> parent_of;      // task -> nearest task above it
  std::vector<std::pair<size_t, std::string>> path;  // (depth, task name or "")
  std::istringstream lines(tree.out);
  std::string line;
  size_t task_lines = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) break;  // the tree ends; the never-awaited coroutines follow
    size_t depth = 0;
    // Each level of indentation is 4 columns: "│   " (6 bytes) or "    ".
    size_t pos = 0;
    while (true) {
      if (line.compare(pos, 6, "\u2502   ") == 0) {
        pos += 6;
      } else if (line.compare(pos, 4, "    ") == 0) {
        pos += 4;
      } else {
        break;
      }
      ++depth;
    }
    std::string rest = line.substr(pos + std::string("\u2514\u2500\u2500 ").size());
    std::string task;
    if (rest.starts_with("(T) ")) {
      task = rest.substr(4);
      ++task_lines;
    }
    while (!path.empty() && path.back().first >= depth) path.pop_back();
    if (!task.empty()) {
      for (auto p = path.rbegin(); p != path.rend(); ++p) {
        if (!p->second.empty()) {
          parent_of[task] = p->second;
          break;
        }
      }
    }
    path.emplace_back(depth, task);
  }
  EXPECT_EQ(task_lines, truth.tasks.size()) << tree.out;
  std::map<std::string, std::string> want;
  for (const AsyncTruthEdge& e : truth.edges) want[e.child] = e.parent;
  EXPECT_EQ(parent_of, want) << tree.out;
  // Then the never-awaited coroutines, by id and name.
  if (truth.unawaited.empty()) {
    EXPECT_NE(tree.out.find("Coroutines never awaited: not looked for"), std::string::npos);
    return;
  }
  EXPECT_NE(
      tree.out.find("Coroutines never awaited (" + std::to_string(truth.unawaited.size()) + "):"),
      std::string::npos)
      << tree.out;
  // The id column is padded to a width: free-threaded heaps' addresses are
  // shorter than 0x7f... ones, so only "id, spaces, name" is checked.
  for (const AsyncTruthCoroutine& c : truth.unawaited) {
    std::regex line(hex(c.id) + " +" + c.qualname + " ");
    EXPECT_TRUE(std::regex_search(tree.out, line)) << hex(c.id) << " " << c.qualname << "\n"
                                                   << tree.out;
  }
}

class AsyncioTasksTest : public testing::TestWithParam<PythonInterpreter> {
 protected:
  void SetUp() override {
    py_ = GetParam();
    probe_python_interpreter(&py_);
    ASSERT_TRUE(py_.probe_error.empty()) << py_.probe_error;
    if (py_.major < 3 || (py_.major == 3 && py_.minor < 8))
      GTEST_SKIP() << "SKIPPED LOUDLY: asyncio tasks are read on 3.8+; this is " << py_.version;
    std::cout << "asyncio tasks: " << py_.version << " " << py_.path
              << (py_.is_stripped ? " (stripped)" : "") << "\n";
  }
  PythonInterpreter py_;
};

// 3.14+ unlinks a task from its thread's list when it finishes (the
// registry all_tasks() reads, Modules/_asynciomodule.c): a finished task is
// no longer found, where the WeakSet of 3.8-3.13 kept it while referenced.
// (Never-awaited coroutines are checked on free-threaded builds too: found by
// a scan of the heap there, as they have no GC object lists.)
void adapt_truth(const PythonInterpreter& py, AsyncTruth& truth) {
  if (py.major < 3 || (py.major == 3 && py.minor < 14)) return;
  std::erase_if(truth.tasks, [](const AsyncTruthTask& t) { return t.state != "pending"; });
}

TEST_P(AsyncioTasksTest, LiveAndCoreMatchTruth) {
  TempDir dir;
  TargetProcess target({py_.path, kPyAsyncioScript, "{ready_fd}", (dir / "truth").string(),
                        "--many", std::to_string(kBulkTasks)});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/true, std::chrono::seconds(40)))
      << target.output();
  AsyncTruth truth = read_asyncio_truth(dir / "truth");
  adapt_truth(py_, truth);
  ASSERT_EQ(truth.many, kBulkTasks);
  std::string pid = std::to_string(target.pid());

  {
    SCOPED_TRACE("live");
    check_tasks(truth, run_corostack_json({"tasks", "-p", pid, "--json"}));
    check_dump_async(truth, run_corostack_json({"dump", "--async", "-p", pid, "--json"}));
  }
  CommandResult table = run_corostack({"tasks", "-p", pid});
  EXPECT_EQ(table.exit_code, 0) << table.describe();
  for (const AsyncTruthTask& t : truth.tasks)
    EXPECT_NE(table.out.find(" " + hex(t.id) + " "), std::string::npos) << t.name;
  CommandResult tree = run_corostack({"tasks", "-p", pid, "--tree"});
  EXPECT_EQ(tree.exit_code, 1) << tree.describe();
  EXPECT_TRUE(tree.out.empty()) << tree.out;
  EXPECT_NE(tree.err.find("ERROR: await-graph contains cycles"), std::string::npos) << tree.err;
  bool ab = tree.err.find("cycle: cycle_a \u2192 cycle_b \u2192 cycle_a") != std::string::npos;
  bool ba = tree.err.find("cycle: cycle_b \u2192 cycle_a \u2192 cycle_b") != std::string::npos;
  EXPECT_TRUE(ab || ba) << tree.err;

  std::filesystem::path core = dir / "asyncio.core";
  CommandResult gcore = run_corostack({"gcore", "-p", pid, "-o", core.string()});
  ASSERT_TRUE(gcore.ok()) << gcore.describe();
  {
    SCOPED_TRACE("core");
    check_tasks(truth, run_corostack_json({"tasks", "--core", core.string(), "--json"}));
    check_dump_async(truth,
                     run_corostack_json({"dump", "--async", "--core", core.string(), "--json"}));
  }
  CommandResult dump = run_corostack({"dump", "--async", "-p", pid});
  EXPECT_EQ(dump.exit_code, 0) << dump.describe();
  EXPECT_NE(dump.out.find("running task \"l2_blocker\""), std::string::npos) << dump.out;
  EXPECT_NE(dump.out.find("Coroutines never awaited (2):"), std::string::npos) << dump.out;
}

TEST_P(AsyncioTasksTest, TreeMatchesTheBuiltGraph) {
  TempDir dir;
  TargetProcess target(
      {py_.path, kPyAsyncioScript, "{ready_fd}", (dir / "truth").string(), "--no-cycle"});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/true, std::chrono::seconds(40)))
      << target.output();
  AsyncTruth truth = read_asyncio_truth(dir / "truth");
  adapt_truth(py_, truth);
  ASSERT_TRUE(truth.cycles.empty());
  check_tree(truth, run_corostack({"tasks", "-p", std::to_string(target.pid()), "--tree"}));
}

INSTANTIATE_TEST_SUITE_P(Interpreters, AsyncioTasksTest,
                         testing::ValuesIn(find_python_interpreter_paths()),
                         [](const testing::TestParamInfo<PythonInterpreter>& info) {
                           return info.param.name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(AsyncioTasksTest);

// Python 2.7 has no asyncio: `tasks` says so in one line and exits 2, like
// the other unsupported cases, live and on a core.
TEST(AsyncioTasksPython2, SaysThereIsNoAsyncio) {
  std::optional<PythonInterpreter> py;
  for (PythonInterpreter p : find_python_interpreter_paths()) {
    probe_python_interpreter(&p);
    if (p.probe_error.empty() && p.major == 2 && p.minor == 7) py = p;
  }
  if (!py) GTEST_SKIP() << "SKIPPED LOUDLY: no Python 2.7 interpreter";
  TempDir dir;
  TargetProcess target({py->path, PY_THREADS_SCRIPT, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false, std::chrono::seconds(40)));
  std::string pid = std::to_string(target.pid());
  std::filesystem::path core = dir / "py.core";
  ASSERT_TRUE(run_corostack({"gcore", "-p", pid, "-o", core.string()}).ok());
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"tasks", "-p", pid},
        std::vector<std::string>{"tasks", "--core", core.string()}}) {
    CommandResult r = run_corostack(args);
    SCOPED_TRACE(r.describe());
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(r.out.empty());
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line";
    EXPECT_NE(r.err.find("Python " + py->version + " has no asyncio"), std::string::npos);
  }
  EXPECT_EQ(::kill(target.pid(), 0), 0) << "the target runs on";
}

}  // namespace
}  // namespace e2e
