// `corostack coro` against tests/targets/coro/coro_chain.cpp, for every build
// (compiler x level), live, on a corostack gcore core and on a gdb gcore core:
// the set of frames found (every true frame, no false one), each frame's
// function, state, thread, promise address (the alignas(64) offset) and type,
// continuation and its kind, the chains, the lines it claims to know exactly,
// the promise members (--promise), the text and --tree forms, and that the
// target is left running, neither stopped nor traced. Missing builds skip
// loudly; each covered build prints how many suspended frames got exact lines.
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "coro_truth.hpp"
#include "corostack.hpp"
#include "gdb.hpp"
#include "process_state.hpp"
#include "run_command.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

using nlohmann::json;

std::string hex(uint64_t v) {
  std::ostringstream os;
  os << "0x" << std::hex << v;
  return os.str();
}

// "0x..." (any case, any padding) -> value; nullopt when not such a string.
std::optional<uint64_t> parse_hex(const json& v) {
  if (!v.is_string()) return std::nullopt;
  std::string s = v.get<std::string>();
  if (s.size() < 3 || (s.rfind("0x", 0) != 0 && s.rfind("0X", 0) != 0)) return std::nullopt;
  size_t used = 0;
  uint64_t value = 0;
  try {
    value = std::stoull(s.substr(2), &used, 16);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used != s.size() - 2) return std::nullopt;
  return value;
}

std::string str_or(const json& j, const char* key, const std::string& fallback = "") {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

bool is_identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// `needle` ("leaf(") occurs in `name` not as the tail of a longer identifier
// ("blocking_leaf(" does not name leaf).
bool names(const std::string& name, const std::string& needle) {
  for (size_t at = name.find(needle); at != std::string::npos; at = name.find(needle, at + 1))
    if (at == 0 || !is_identifier_char(name[at - 1])) return true;
  return false;
}

// Whether a demangled ramp name is the truth's function. The lambda is
// "g_lambda::{lambda(int)#1}::operator()(int) const" for GCC and
// "$_0::operator()(int) const" for clang.
bool function_matches(const std::string& got, const std::string& truth_function) {
  if (truth_function == "lambda")
    return got.find("operator()") != std::string::npos &&
           (got.find("lambda") != std::string::npos || got.find("$_") != std::string::npos);
  return names(got, truth_function + "(");
}

bool is_o0(const CoroBuild& build) {
  return !build.optimized;
}

std::string describe_frame(const json& f) {
  return f.dump();
}

// Per build and source: how exact the lines are.
struct LineStats {
  int suspended = 0;  // frames reported suspended
  int exact = 0;      // of which with line_source label or heuristic
  int label = 0;
  int heuristic = 0;
  int index_null = 0;        // frames (any state) whose index is null
  int running_pc_exact = 0;  // running frames with line_source pc and the right line
  int running = 0;
};

void print_line_stats(const CoroBuild& build, const std::string& source, const LineStats& s) {
  std::cout << "[ coro cmd ] " << build.name << " (" << source << "): " << s.exact << "/"
            << s.suspended << " suspended frames with exact lines (label " << s.label
            << ", heuristic " << s.heuristic << "), index unavailable: "
            << (s.index_null ? "yes (" + std::to_string(s.index_null) + " frames)" : "no")
            << ", running frames with the pc line: " << s.running_pc_exact << "/" << s.running
            << "\n";
}

// The checks shared by the live and core runs of `coro --json`; `is_core`
// says whether the run read a core (pause_ns must then be 0).
void check_frames(const CoroTruth& truth, const JsonRun& run, const CoroBuild& build, bool is_core,
                  LineStats* stats) {
  ASSERT_FALSE(run.json.is_discarded()) << run.parse_error << "\n" << run.cmd.describe();
  EXPECT_EQ(run.cmd.exit_code, 0) << run.cmd.describe();
  const json& j = run.json;
  ASSERT_TRUE(j.is_object()) << j.dump();

  // Header.
  EXPECT_EQ(j.value("pid", -1), truth.process.pid) << "pid";
  if (is_core) {
    EXPECT_EQ(j.value("pause_ns", int64_t{-1}), 0) << "pause_ns on a core";
  }
  ASSERT_TRUE(j.contains("scan")) << "no scan object";
  const json& scan = j.at("scan");
  EXPECT_GT(scan.value("bytes", uint64_t{0}), 0u) << scan.dump();
  EXPECT_GT(scan.value("regions", uint64_t{0}), 0u) << scan.dump();
  EXPECT_GE(scan.value("candidates", uint64_t{0}), truth.frames.size()) << scan.dump();
  EXPECT_LE(scan.value("rejected", uint64_t{0}), scan.value("candidates", uint64_t{0}))
      << scan.dump();
  ASSERT_TRUE(j.contains("errors") && j.at("errors").is_array());
  EXPECT_TRUE(j.at("errors").empty()) << j.at("errors").dump();
  if (j.contains("warnings") && !j.at("warnings").empty())
    std::cout << "[ coro cmd ] " << build.name << ": warnings " << j.at("warnings").dump() << "\n";

  // The set of frames: every true frame found, no false frame.
  ASSERT_TRUE(j.contains("frames") && j.at("frames").is_array()) << j.dump();
  std::map<uint64_t, const json*> by_addr;
  for (const json& f : j.at("frames")) {
    std::optional<uint64_t> addr = parse_hex(f.value("address", json()));
    ASSERT_TRUE(addr) << "frame without a hex address: " << describe_frame(f);
    EXPECT_TRUE(by_addr.emplace(*addr, &f).second) << "frame listed twice: " << hex(*addr);
  }
  std::set<uint64_t> want_addrs, got_addrs;
  for (const CoroFrameTruth& t : truth.frames) want_addrs.insert(t.addr);
  for (const auto& [addr, f] : by_addr) got_addrs.insert(addr);
  for (uint64_t a : want_addrs)
    EXPECT_TRUE(got_addrs.count(a)) << "true frame not found: " << hex(a) << " "
                                    << truth.frame(a)->function << " #" << truth.frame(a)->id;
  for (uint64_t a : got_addrs)
    EXPECT_TRUE(want_addrs.count(a)) << "false frame: " << describe_frame(*by_addr.at(a));

  pid_t runner_tid = 0;  // the thread running blocking_leaf
  for (const CoroFrameTruth& t : truth.frames)
    if (t.state == "running") runner_tid = t.tid;

  static const std::set<std::string> kStates = {"suspended", "not_started", "running", "done"};
  static const std::set<std::string> kLineSources = {"label", "heuristic", "pc", "decl"};

  for (const CoroFrameTruth& t : truth.frames) {
    auto it = by_addr.find(t.addr);
    if (it == by_addr.end()) continue;  // reported above
    const json& f = *it->second;
    SCOPED_TRACE(t.function + " #" + std::to_string(t.id) + " at " + hex(t.addr) + ": " +
                 describe_frame(f));

    // Function.
    std::string function = str_or(f, "function");
    EXPECT_TRUE(function_matches(function, t.function))
        << "function \"" << function << "\" is not " << t.function;
    EXPECT_FALSE(str_or(f, "ramp").empty()) << "no ramp symbol";
    EXPECT_FALSE(str_or(f, "module").empty()) << "no module";

    // State and thread.
    std::string state = str_or(f, "state");
    EXPECT_TRUE(kStates.count(state)) << "state \"" << state << "\"";
    const json index = f.value("index", json());
    EXPECT_TRUE(index.is_null() || index.is_number_integer()) << "index " << index.dump();
    const json thread = f.value("thread", json());
    if (t.state == "done") {
      EXPECT_EQ(state, "done");
    } else if (t.state == "running") {
      EXPECT_EQ(state, "running");
      EXPECT_EQ(thread, json(t.tid)) << "thread";
    } else if (t.state == "not_started") {
      // A build without an index member cannot tell not started from suspended.
      EXPECT_TRUE(state == "not_started" || (state == "suspended" && index.is_null()))
          << "state " << state << ", index " << index.dump();
    } else if (t.function == "blocking_top") {
      // GCC -O0 resumes a child with a real call: blocking_top's actor is on
      // the runner's stack, so "running" is right too.
      EXPECT_TRUE(state == "suspended" || state == "running") << state;
      if (state == "running") {
        EXPECT_EQ(thread, json(runner_tid)) << "thread";
      }
    } else {
      EXPECT_EQ(state, "suspended");
    }
    if (state != "running") {
      EXPECT_TRUE(thread.is_null()) << "thread " << thread.dump();
    }

    // Promise: its address checks the alignas(64) offset.
    ASSERT_TRUE(f.contains("promise") && f.at("promise").is_object()) << "no promise";
    const json& promise = f.at("promise");
    EXPECT_EQ(parse_hex(promise.value("address", json())), std::optional<uint64_t>(t.promise_addr))
        << "promise address, want " << hex(t.promise_addr);
    if (promise.contains("offset")) {
      EXPECT_EQ(promise.at("offset"), json(t.promise_addr - t.addr)) << "promise offset";
    }
    EXPECT_NE(str_or(promise, "type").find("promise_type"), std::string::npos)
        << "promise type \"" << str_or(promise, "type") << "\", truth " << t.promise_type;

    // Continuation.
    const json cont = f.value("continuation", json());
    std::string kind = str_or(f, "continuation_kind");
    if (!t.continuation) {
      EXPECT_EQ(kind, "none");
      EXPECT_TRUE(cont.is_null()) << "continuation " << cont.dump();
    } else {
      EXPECT_EQ(parse_hex(cont), t.continuation) << "continuation, want " << hex(*t.continuation);
      if (*t.continuation == 0) {
        EXPECT_EQ(kind, "null");
      } else if (*t.continuation == truth.noop) {
        EXPECT_EQ(kind, "noop");
      } else if (truth.frame(*t.continuation)) {
        EXPECT_EQ(kind, "frame");
      } else {
        EXPECT_EQ(kind, "unknown");
      }
    }

    // Lines: a line claimed exact must be right.
    const json line = f.value("line", json());
    const json line_source_json = f.value("line_source", json());
    std::string line_source =
        line_source_json.is_string() ? line_source_json.get<std::string>() : "";
    EXPECT_TRUE(line_source_json.is_null() || kLineSources.count(line_source))
        << "line_source " << line_source_json.dump();
    EXPECT_EQ(line.is_null(), line_source_json.is_null())
        << "line " << line.dump() << " with line_source " << line_source_json.dump();
    EXPECT_TRUE(line.is_null() || line.is_number_integer()) << "line " << line.dump();
    bool exact = line_source == "label" || line_source == "heuristic";
    if (state == "suspended") {
      ++stats->suspended;
      if (exact) {
        ++stats->exact;
        ++(line_source == "label" ? stats->label : stats->heuristic);
      }
      if (is_o0(build) && !index.is_null()) {
        EXPECT_TRUE(exact) << "-O0 build, suspended frame with index " << index.dump()
                           << " but line_source " << line_source_json.dump();
      }
    }
    if (exact) {
      EXPECT_EQ(line, json(t.line)) << "claimed exact (" << line_source << ") line";
      std::string file = str_or(f, "file");
      EXPECT_TRUE(file.ends_with("/" + t.file)) << "file \"" << file << "\"";
    }
    if (state == "running") {
      ++stats->running;
      if (line_source == "pc" && t.function == "blocking_leaf") {
        EXPECT_EQ(line, json(t.line)) << "running line from the pc (the read(2) line)";
        if (line == json(t.line)) ++stats->running_pc_exact;
      }
    }
    if (index.is_null()) ++stats->index_null;
  }

  // Chains: exactly the truth's, as lists of addresses, leaf first.
  ASSERT_TRUE(j.contains("chains") && j.at("chains").is_array()) << j.dump();
  std::set<std::vector<uint64_t>> want_chains(truth.chains.begin(), truth.chains.end());
  std::set<std::vector<uint64_t>> got_chains;
  for (const json& c : j.at("chains")) {
    std::vector<uint64_t> chain;
    for (const json& a : c) {
      std::optional<uint64_t> addr = parse_hex(a);
      EXPECT_TRUE(addr) << "chain entry " << a.dump();
      chain.push_back(addr.value_or(0));
    }
    EXPECT_TRUE(got_chains.insert(chain).second) << "chain listed twice: " << c.dump();
  }
  EXPECT_EQ(got_chains.size(), j.at("chains").size());
  auto show = [](const std::set<std::vector<uint64_t>>& chains) {
    std::string out;
    for (const auto& c : chains) {
      out += "\n   ";
      for (uint64_t a : c) out += " " + hex(a);
    }
    return out;
  };
  EXPECT_EQ(got_chains, want_chains)
      << "got:" << show(got_chains) << "\nwant:" << show(want_chains);
}

// After corostack (and gdb) ran: the target is neither traced nor stopped and
// goes back to sleep in read(2).
void expect_left_running(TargetProcess& target) {
  EXPECT_EQ(traced_or_stopped_thread(target.pid()), "") << "target left traced or stopped";
  EXPECT_TRUE(target.wait_all_sleeping(std::chrono::seconds(10)));
}

bool on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && ::access((std::filesystem::path(dir) / name).c_str(), X_OK) == 0)
      return true;
  return false;
}

class CoroCommandTest : public testing::TestWithParam<CoroBuild> {
 protected:
  void SetUp() override {
    const CoroBuild& build = GetParam();
    if (!build.exists)
      GTEST_SKIP() << "SKIPPED LOUDLY: coro build " << build.name << " not built (" << build.exe
                   << " missing: its compiler was not found at configure time; see the "
                      "'coro targets:' lines of the cmake output)";
    std::cout << "[ coro cmd ] covering build " << build.name << ": " << build.exe << "\n";
    ASSERT_TRUE(start_coro_target(build, dir_, &target_, &truth_));
    pid_ = std::to_string(target_->pid());
  }

  TempDir dir_;
  std::unique_ptr<TargetProcess> target_;
  CoroTruth truth_;
  std::string pid_;
};

TEST_P(CoroCommandTest, LiveMatchesTruth) {
  const CoroBuild& build = GetParam();
  LineStats stats;
  {
    SCOPED_TRACE("live");
    check_frames(truth_, run_corostack_json({"coro", "-p", pid_, "--json"}), build, false, &stats);
  }
  print_line_stats(build, "live", stats);
  expect_left_running(*target_);
}

TEST_P(CoroCommandTest, CoreMatchesTruth) {
  const CoroBuild& build = GetParam();
  std::string core = (dir_ / "coro.core").string();
  CommandResult gcore = run_corostack({"gcore", "-p", pid_, "-o", core});
  ASSERT_TRUE(gcore.ok()) << gcore.describe();
  {
    SCOPED_TRACE("corostack gcore core");
    LineStats stats;
    check_frames(truth_, run_corostack_json({"coro", "--core", core, "--json"}), build, true,
                 &stats);
    print_line_stats(build, "corostack gcore", stats);
  }
  expect_left_running(*target_);

  if (!on_path("gdb")) {
    std::cout << "[ coro cmd ] SKIPPED LOUDLY: gdb not on PATH: the gdb gcore part of "
              << build.name << " did not run\n";
    GTEST_SKIP() << "SKIPPED LOUDLY: gdb not on PATH (corostack gcore part passed above)";
  }
  std::filesystem::path gdb_core = dir_ / "gdb.core";
  CommandResult gdb = gdb_gcore(target_->pid(), gdb_core);
  ASSERT_TRUE(std::filesystem::is_regular_file(gdb_core)) << "gdb wrote no core\n"
                                                          << gdb.describe() << "\n"
                                                          << gdb.out;
  // gdb detaches; blocked syscalls restart.
  expect_left_running(*target_);
  {
    SCOPED_TRACE("gdb gcore core");
    LineStats stats;
    check_frames(truth_, run_corostack_json({"coro", "--core", gdb_core.string(), "--json"}), build,
                 true, &stats);
    print_line_stats(build, "gdb gcore", stats);
  }
}

TEST_P(CoroCommandTest, PromiseMembers) {
  JsonRun run = run_corostack_json({"coro", "-p", pid_, "--json", "--promise"});
  ASSERT_FALSE(run.json.is_discarded()) << run.parse_error << "\n" << run.cmd.describe();
  EXPECT_EQ(run.cmd.exit_code, 0) << run.cmd.describe();
  ASSERT_TRUE(run.json.contains("frames") && run.json.at("frames").is_array());
  std::map<uint64_t, const json*> by_addr;
  for (const json& f : run.json.at("frames"))
    if (std::optional<uint64_t> a = parse_hex(f.value("address", json()))) by_addr[*a] = &f;
  // Every promise of the target (task, atask, generator) has `id` and `label`.
  for (const CoroFrameTruth& t : truth_.frames) {
    SCOPED_TRACE(t.function + " #" + std::to_string(t.id) + " at " + hex(t.addr));
    auto it = by_addr.find(t.addr);
    ASSERT_NE(it, by_addr.end()) << "frame not found";
    const json& f = *it->second;
    ASSERT_TRUE(f.contains("promise") && f.at("promise").contains("members")) << f.dump();
    const json& members = f.at("promise").at("members");
    ASSERT_TRUE(members.is_array()) << members.dump();
    std::map<std::string, std::string> values;
    for (const json& m : members) {
      ASSERT_TRUE(m.contains("name") && m.contains("value")) << m.dump();
      values[m.at("name").get<std::string>()] =
          m.at("value").is_string() ? m.at("value").get<std::string>() : m.at("value").dump();
    }
    ASSERT_TRUE(values.count("id")) << members.dump();
    EXPECT_EQ(values["id"], std::to_string(t.id)) << members.dump();
    ASSERT_TRUE(values.count("label")) << members.dump();
    EXPECT_NE(values["label"].find(t.label), std::string::npos)
        << "label " << values["label"] << ", want \"" << t.label << "\"";
  }
  expect_left_running(*target_);
}

// coro --locals: each suspended coroutine's frame holds its argument (`id`,
// the promise's id by construction), leaf's `local` (2 * id, + 1 once
// resumed: leaf #22) and the generator's `start` and `i` (80 after its first
// co_yield). At -O0 the names are the program's (GCC: `local_1_2`); optimized
// clang frames name slots after their types, so there the argument must be
// among the values. clang 17-19 at -O2 emit no frame type: no variables.
void check_frame_locals(const CoroTruth& truth, const CoroBuild& build, const JsonRun& run) {
  ASSERT_FALSE(run.json.is_discarded()) << run.parse_error << "\n" << run.cmd.describe();
  std::map<uint64_t, const json*> by_addr;
  for (const json& f : run.json.at("frames"))
    if (std::optional<uint64_t> a = parse_hex(f.value("address", json()))) by_addr[*a] = &f;
  static const std::set<std::string> kWithId = {
      "leaf", "middle", "top", "Server::handle", "lambda", "aligned_coro", "blocking_top"};
  bool no_frame_types = build.compiler == "clang19" && build.optimized;
  size_t checked = 0;
  for (const CoroFrameTruth& t : truth.frames) {
    if (t.state != "suspended") continue;
    bool with_id = kWithId.count(t.function) > 0;
    if (!with_id && t.function != "counter_generator") continue;
    SCOPED_TRACE(t.function + " #" + std::to_string(t.id) + " at " + hex(t.addr));
    auto it = by_addr.find(t.addr);
    ASSERT_NE(it, by_addr.end()) << "frame not found";
    const json& f = *it->second;
    if (no_frame_types) {
      EXPECT_FALSE(f.contains("locals")) << f.dump();
      continue;
    }
    ASSERT_TRUE(f.contains("locals")) << f.dump();
    std::map<std::string, std::string> values;
    for (const json& l : f.at("locals")) values[l.at("name")] = l.at("value");
    // GCC names a variable after its scope: local_1_2 is `local`.
    auto named = [&](const std::string& name) -> std::optional<std::string> {
      for (const auto& [n, v] : values)
        if (n == name || (n.rfind(name + "_", 0) == 0 &&
                          n.find_first_not_of("0123456789_", name.size()) == std::string::npos))
          return v;
      return std::nullopt;
    };
    std::string want = std::to_string(t.function == "counter_generator" ? 80 : t.id);
    if (!build.optimized) {
      auto id = named(t.function == "counter_generator" ? "start" : "id");
      ASSERT_TRUE(id) << f.at("locals").dump();
      EXPECT_EQ(*id, want);
      if (t.function == "leaf") {
        auto local = named("local");
        ASSERT_TRUE(local) << f.at("locals").dump();
        EXPECT_EQ(*local, std::to_string(2 * t.id + (t.id == 22 ? 1 : 0)));
      }
      if (t.function == "counter_generator") {
        auto i = named("i");
        ASSERT_TRUE(i) << f.at("locals").dump();
        EXPECT_EQ(*i, "80");
      }
    } else {
      bool found = false;
      for (const auto& [n, v] : values) found = found || v == want;
      EXPECT_TRUE(found) << "argument " << want << " not among " << f.at("locals").dump();
    }
    ++checked;
  }
  std::cout << "[ coro cmd ] " << build.name << ": variables of " << checked
            << " suspended frames checked"
            << (no_frame_types ? " (no frame types in DWARF: none expected)" : "") << "\n";
  if (!no_frame_types) {
    EXPECT_GE(checked, 10u);
  }
}

TEST_P(CoroCommandTest, FrameLocals) {
  const CoroBuild& build = GetParam();
  {
    SCOPED_TRACE("live");
    check_frame_locals(truth_, build,
                       run_corostack_json({"coro", "-p", pid_, "--json", "--locals"}));
  }
  std::string core = (dir_ / "coro.core").string();
  CommandResult gcore = run_corostack({"gcore", "-p", pid_, "-o", core});
  ASSERT_TRUE(gcore.ok()) << gcore.describe();
  {
    SCOPED_TRACE("core");
    check_frame_locals(truth_, build,
                       run_corostack_json({"coro", "--core", core, "--json", "--locals"}));
  }
  expect_left_running(*target_);
}

TEST_P(CoroCommandTest, TextAndTree) {
  CommandResult text = run_corostack({"coro", "-p", pid_});
  EXPECT_EQ(text.exit_code, 0) << text.describe();
  CommandResult tree = run_corostack({"coro", "-p", pid_, "--tree"});
  EXPECT_EQ(tree.exit_code, 0) << tree.describe();
  for (const CoroFrameTruth& t : truth_.frames) {
    SCOPED_TRACE(t.function + " #" + std::to_string(t.id));
    EXPECT_NE(text.out.find(hex(t.addr)), std::string::npos) << hex(t.addr) << " in:\n" << text.out;
    EXPECT_NE(tree.out.find(hex(t.addr)), std::string::npos) << hex(t.addr) << " in --tree:\n"
                                                             << tree.out;
    if (t.state == "running") {
      std::string running = "running on thread " + std::to_string(t.tid);
      EXPECT_NE(text.out.find(running), std::string::npos) << running << " in:\n" << text.out;
    }
  }
  // Promise types are named on the frame lines.
  EXPECT_NE(text.out.find("promise_type"), std::string::npos) << text.out;
  expect_left_running(*target_);
}

INSTANTIATE_TEST_SUITE_P(CoroChain, CoroCommandTest, testing::ValuesIn(coro_builds()),
                         [](const testing::TestParamInfo<CoroBuild>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace e2e
