// `corostack dump --native --locals` against tests/targets/native_locals.cpp,
// built with every compiler and level here (g++ 12, clang++ 14/19/22; -O0 and
// -O2), live and on a core corostack wrote:
//   - every argument and local the target wrote in its truth
//     (<truth>.locals) has that value, spelled as gdb spells it;
//   - a value may be missing (<optimized out>, <error: ...>) only where gdb's
//     `bt full` on the same core cannot show the truth either: gdb is the
//     second oracle, and corostack may not know less than it;
//   - the tail calls at -O2 (osprey_lock: jmp pthread_mutex_lock; kite_lock:
//     jmp kite_grab) are frames again, marked as tail calls, where the
//     unwinder alone finds only their callers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "corostack.hpp"
#include "run_command.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

using nlohmann::json;

struct LocalsBuild {
  std::string name;  // gcc_O0, clang19_O2, ...
  std::filesystem::path exe;
  bool optimized = false;
  bool gcc = false;
};

void PrintTo(const LocalsBuild& b, std::ostream* os) {
  *os << b.name;
}

std::vector<LocalsBuild> locals_builds() {
  std::vector<LocalsBuild> out;
  for (const char* compiler : {"gcc", "clang14", "clang19", "clang22"})
    for (const char* level : {"O0", "O2"}) {
      LocalsBuild b;
      b.name = std::string(compiler) + "_" + level;
      b.exe = std::filesystem::path(LOCALS_TARGETS_DIR) / ("native_locals_" + b.name);
      b.optimized = std::string(level) == "O2";
      b.gcc = std::string(compiler) == "gcc";
      out.push_back(b);
    }
  return out;
}

struct LocalTruth {
  pid_t tid = 0;
  std::string function;
  bool argument = false;
  std::string name;
  std::string expected;
};

std::vector<LocalTruth> read_locals_truth(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<LocalTruth> out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream is(line);
    std::string tag, kind;
    LocalTruth t;
    is >> tag >> t.tid >> t.function >> kind >> t.name;
    if (tag != "local") continue;
    t.argument = kind == "arg";
    std::getline(is >> std::ws, t.expected);
    out.push_back(t);
  }
  return out;
}

std::string base_name(const std::string& function) {
  return function.substr(0, function.find('('));
}

// gdb's `bt full` values: (tid, function) -> name -> value, first frame of
// each function per thread: locals from the lines under the frame, scalar
// arguments from the frame line (`name=value` or `name=name@entry=value`).
using GdbLocals = std::map<std::pair<pid_t, std::string>, std::map<std::string, std::string>>;

GdbLocals gdb_locals(const std::string& exe, const std::filesystem::path& core, std::string* raw) {
  CommandResult r = run_command({"gdb", "-batch", "-nx", "-iex", "set debuginfod enabled off",
                                 "-ex", "thread apply all bt full", exe, core.string()},
                                std::chrono::seconds(120));
  *raw = r.out;
  static const std::regex header(R"(^Thread \d+ \((?:.*\()?LWP (\d+)\).*:\s*$)");
  static const std::regex frame(R"(^#\d+\s+(?:0x[0-9a-fA-F]+ in )?(\S+) \(.*$)");
  static const std::regex local(R"(^        (\S+) = (.*)$)");
  GdbLocals out;
  pid_t tid = 0;
  std::map<std::string, std::string>* current = nullptr;
  std::stringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, header)) {
      tid = static_cast<pid_t>(std::stol(m[1]));
      current = nullptr;
    } else if (line.rfind("#", 0) == 0) {
      current = nullptr;
      if (!std::regex_match(line, m, frame)) continue;
      auto key = std::make_pair(tid, base_name(m[1]));
      if (out.count(key)) continue;
      current = &out[key];
      static const std::regex arg(R"([(,] (\w+)=(?:\w+@entry=)?(.*?)(?=, \w+=|\) at |\)$))");
      std::string rest = line.substr(line.find(" ("));
      for (std::sregex_iterator it(rest.begin(), rest.end(), arg), end; it != end; ++it)
        current->emplace((*it)[1], (*it)[2]);
    } else if (current && std::regex_match(line, m, local)) {
      current->emplace(m[1], m[2]);
    }
  }
  return out;
}

// Where the compiler's DWARF is wrong, no reader can print the truth:
// clang++-14 -O2 describes ibis_wait's `enabled` as "DW_OP_breg7 RSP+16,
// DW_OP_convert" without a deref (the slot's address, not its contents); gdb
// prints a number that changes from run to run.
bool wrong_dwarf(const std::string& build, const LocalTruth& t) {
  return build == "clang14_O2" && t.function == "ibis_wait" && t.name == "enabled";
}

bool unavailable(const std::string& v) {
  return v.rfind("<optimized out>", 0) == 0 || v.rfind("<error", 0) == 0;
}

// A value with some members `<optimized out>` (a struct in pieces, one of
// them lost) and every other member as in the truth.
bool partly_unavailable(const std::string& ours, const std::string& truth) {
  const std::string hole = "<optimized out>";
  if (ours.find(hole) == std::string::npos) return false;
  std::string pattern;
  for (size_t i = 0; i < ours.size();) {
    if (ours.compare(i, hole.size(), hole) == 0) {
      pattern += ".*?";
      i += hole.size();
      continue;
    }
    if (std::string("\\^$.|?*+()[]{}").find(ours[i]) != std::string::npos) pattern += '\\';
    pattern += ours[i++];
  }
  return std::regex_match(truth, std::regex(pattern));
}

const json* frame_of(const json& thread, const std::string& function) {
  for (const json& f : thread.at("frames"))
    if (f.at("kind") == "native" && f.at("function").is_string() &&
        base_name(f.at("function").get<std::string>()) == function)
      return &f;
  return nullptr;
}

// Every truth line against the dump; unavailable values only where gdb also
// cannot show the truth. `compared` counts the values compared.
void check_locals(const json& dump, const std::vector<LocalTruth>& truth, const GdbLocals& gdb,
                  const std::string& build, const std::string& what, size_t& compared) {
  for (const LocalTruth& t : truth) {
    if (wrong_dwarf(build, t)) continue;
    SCOPED_TRACE(what + ": " + t.function + " " + t.name);
    const json* thread = find_thread(dump, t.tid);
    ASSERT_NE(thread, nullptr) << "no thread " << t.tid;
    const json* frame = frame_of(*thread, t.function);
    ASSERT_NE(frame, nullptr) << "no frame " << t.function << " in\n" << thread->dump(1);
    if (frame->value("tail_call", false)) continue;  // tail-call frames show no variables
    const json* found = nullptr;
    if (frame->contains("locals"))
      for (const json& l : frame->at("locals"))
        if (l.at("name") == t.name && l.at("arg") == t.argument) found = &l;
    ASSERT_NE(found, nullptr) << "no " << (t.argument ? "argument " : "local ") << t.name << " in\n"
                              << frame->dump(1);
    std::string ours = found->at("repr").get<std::string>();
    ++compared;
    if (ours == t.expected) continue;
    // gdb, on the same core: does it know the value?
    std::string theirs = "(not shown by gdb)";
    auto g = gdb.find({t.tid, t.function});
    if (g != gdb.end()) {
      auto v = g->second.find(t.name);
      if (v != g->second.end()) theirs = v->second;
    }
    if (t.argument && theirs == "...") theirs = "(a non-scalar argument gdb prints as ...)";
    bool gdb_knows = theirs == t.expected;
    EXPECT_TRUE((unavailable(ours) || partly_unavailable(ours, t.expected)) && !gdb_knows)
        << "corostack: " << ours << "\ntruth:     " << t.expected << "\ngdb:       " << theirs;
  }
}

// At -O2 the two tail calls left no frame; corostack rebuilds them between
// the function they jumped to and their caller.
void check_tail_calls(const json& dump, const LocalsBuild& build) {
  if (!build.optimized) return;
  for (const auto& [tail, caller] :
       {std::pair<std::string, std::string>{"osprey_lock", "osprey_thread"},
        {"kite_lock", "kite_thread"}}) {
    bool seen = false;
    for (const json& t : dump.at("threads")) {
      const json& frames = t.at("frames");
      for (size_t i = 0; i + 1 < frames.size(); ++i) {
        if (!frames[i].at("function").is_string() ||
            base_name(frames[i].at("function").get<std::string>()) != tail)
          continue;
        seen = true;
        EXPECT_TRUE(frames[i].value("tail_call", false)) << frames[i].dump();
        ASSERT_TRUE(frames[i + 1].at("function").is_string());
        EXPECT_EQ(base_name(frames[i + 1].at("function").get<std::string>()), caller);
      }
    }
    EXPECT_TRUE(seen) << "no tail-call frame " << tail;
  }
}

// wren_wait's span at -O2 is two pieces, `hi`'s optimized out: the member it
// has is shown, as gdb shows it, not the whole struct as <optimized out>.
void check_partial_struct(const json& dump, const std::vector<LocalTruth>& truth,
                          const LocalsBuild& build) {
  if (!build.optimized) return;
  for (const LocalTruth& t : truth) {
    if (t.function != "wren_wait" || t.name != "span") continue;
    const json* thread = find_thread(dump, t.tid);
    ASSERT_NE(thread, nullptr);
    const json* frame = frame_of(*thread, t.function);
    ASSERT_NE(frame, nullptr);
    std::string ours;
    for (const json& l : frame->value("locals", json::array()))
      if (l.at("name") == "span") ours = l.at("repr").get<std::string>();
    EXPECT_EQ(ours, "{lo = 5, hi = <optimized out>}");
    return;
  }
  ADD_FAILURE() << "no wren_wait span in the truth";
}

class NativeLocalsTest : public testing::TestWithParam<LocalsBuild> {};

TEST_P(NativeLocalsTest, LiveAndCoreMatchTruthAndGdb) {
  const LocalsBuild& build = GetParam();
  if (!std::filesystem::is_regular_file(build.exe)) {
    std::cerr << "[  SKIPPED ] native_locals_" << build.name << " not built (" << build.exe
              << "): its compiler is missing\n";
    GTEST_SKIP() << build.exe << " not built";
  }
  TempDir dir;
  auto truth_path = dir / "truth";
  TargetProcess target({build.exe.string(), "{ready_fd}", truth_path.string()});
  ASSERT_TRUE(target.wait_ready());
  auto truth = read_locals_truth(truth_path.string() + ".locals");
  ASSERT_GT(truth.size(), 40u) << "truth too short";

  auto live = run_corostack_json(
      {"dump", "-p", std::to_string(target.pid()), "--native", "--locals", "--json"});
  ASSERT_FALSE(live.json.is_discarded()) << live.parse_error << live.cmd.describe();
  // The dump stops every thread for --locals, and must leave them all as they were.
  ASSERT_TRUE(target.wait_all_sleeping(std::chrono::seconds(10)));

  auto core = dir / "core";
  CommandResult gc =
      run_corostack({"gcore", "-p", std::to_string(target.pid()), "-o", core.string()});
  ASSERT_TRUE(gc.ok()) << gc.describe();
  std::string gdb_raw;
  GdbLocals gdb = gdb_locals(build.exe.string(), core, &gdb_raw);
  ASSERT_FALSE(gdb.empty()) << "gdb printed no frames:\n" << gdb_raw;

  if (build.gcc && build.optimized) {
    // gdb rebuilds g++'s tail call into a C++ function of ours too: the same frame.
    bool gdb_has_kite_lock = false;
    for (const auto& [key, values] : gdb) gdb_has_kite_lock |= key.second == "kite_lock";
    EXPECT_TRUE(gdb_has_kite_lock) << "gdb shows no kite_lock frame:\n" << gdb_raw;
  }
  size_t n = 0;
  check_locals(live.json, truth, gdb, build.name, "live", n);
  check_tail_calls(live.json, build);
  check_partial_struct(live.json, truth, build);

  auto offline = run_corostack_json({"dump", "--core", core.string(), "--exe", build.exe.string(),
                                     "--native", "--locals", "--json"});
  ASSERT_FALSE(offline.json.is_discarded()) << offline.parse_error << offline.cmd.describe();
  size_t n_core = 0;
  check_locals(offline.json, truth, gdb, build.name, "core", n_core);
  check_tail_calls(offline.json, build);
  check_partial_struct(offline.json, truth, build);
  std::cerr << "[   INFO   ] native_locals_" << build.name << ": " << n
            << " values compared, live and core\n";
  if (HasFailure()) std::cerr << "gdb bt full:\n" << gdb_raw;
}

// Without --locals, nothing changes: no variables, and blocked threads are
// read without stopping them (the default stays as gentle as before).
TEST(NativeLocals, OnlyWithTheFlag) {
  auto builds = locals_builds();
  const LocalsBuild& build = builds[1];  // gcc_O2
  if (!std::filesystem::is_regular_file(build.exe)) GTEST_SKIP() << build.exe << " not built";
  TempDir dir;
  TargetProcess target({build.exe.string(), "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready());
  auto run = run_corostack_json({"dump", "-p", std::to_string(target.pid()), "--native", "--json"});
  ASSERT_FALSE(run.json.is_discarded()) << run.parse_error << run.cmd.describe();
  for (const json& t : run.json.at("threads"))
    for (const json& f : t.at("frames")) EXPECT_FALSE(f.contains("locals")) << f.dump();
}

INSTANTIATE_TEST_SUITE_P(Builds, NativeLocalsTest, testing::ValuesIn(locals_builds()),
                         [](const testing::TestParamInfo<LocalsBuild>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace e2e
