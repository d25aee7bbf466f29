// Strings from the target are data, not instructions (issue 7). Targets name
// their functions, files, threads and asyncio tasks with terminal escape
// sequences, C0/C1 controls, DEL, lone surrogates, markup and a 1 MiB name
// (tests/targets/python/py_hostile.py), and their kernel thread names with
// escapes and bytes that are not UTF-8 (tests/targets/hostile_threads.cpp).
// For every output of dump and tasks:
//  - terminal output holds no raw ESC, BEL or other C0 control but newline, no
//    DEL, no UTF-8-encoded C1 control, and is valid UTF-8; each name shows in
//    its escaped form (computed here, independently of src/base/escape.cpp);
//  - JSON parses as strict UTF-8 and gives the name back where it is valid
//    Unicode; lone surrogates read as U+FFFD; bytes that are not UTF-8 as the
//    text \xNN (docs/json-schema.md);
//  - the 1 MiB name is cut at the reader's cap and ends in "…", and the run
//    stays fast.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "corostack.hpp"
#include "paths.hpp"
#include "python_interpreters.hpp"
#include "run_command.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// The readers' caps (src/python/code_cache.hpp max_name,
// src/python/thread_names.hpp, src/python/asyncio_walker.cpp), in code points.
constexpr size_t kCodeNameCap = 512;
constexpr size_t kThreadNameCap = 256;
constexpr size_t kTaskNameCap = 256;
const std::string kEllipsis = "\u2026";

// Unicode bidirectional formatting characters: they reorder what a terminal
// shows.
bool is_bidi_control(uint32_t cp) {
  return cp == 0x61c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

// Length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlongs, no
// surrogates, <= U+10FFFF), or 0.
size_t utf8_length(const std::string& s, size_t i, uint32_t* cp_out = nullptr) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  uint32_t cp = len == 1 ? b : b & (0xff >> (len + 1));
  for (size_t k = 1; k < len; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (c & 0x3f);
  }
  static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  if (cp_out) *cp_out = cp;
  return len;
}

// "" when out is safe for a terminal, else what is wrong and where.
std::string terminal_violation(const std::string& out) {
  for (size_t i = 0; i < out.size();) {
    auto b = static_cast<unsigned char>(out[i]);
    auto where = [&] {
      size_t from = i < 40 ? 0 : i - 40;
      return " at byte " + std::to_string(i) + " after: " + json(out.substr(from, i - from)).dump();
    };
    if ((b < 0x20 && b != '\n') || b == 0x7f)
      return "raw control byte " + std::to_string(b) + where();
    uint32_t cp = 0;
    size_t len = utf8_length(out, i, &cp);
    if (len == 0) return "invalid UTF-8" + where();
    if (cp >= 0x80 && cp < 0xa0) return "UTF-8-encoded C1 control" + where();
    if (is_bidi_control(cp)) return "bidirectional control" + where();
    i += len;
  }
  return "";
}

// How a name (valid UTF-8) must show on a terminal: backslash doubled, C0,
// DEL as \xNN, C1 as the two bytes of its encoding, bidirectional controls
// as \uNNNN, the rest as is.
std::string terminal_form(const std::string& s) {
  std::string out;
  char buf[32];
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    size_t len = utf8_length(s, i, &cp);
    if (len == 0) {  // the truth is valid UTF-8; a stray byte is shown as one
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(s[i]));
      out += buf;
      ++i;
      continue;
    }
    if (cp == '\\') {
      out += "\\\\";
    } else if (cp < 0x20 || cp == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\x%02x", cp);
      out += buf;
    } else if (cp >= 0x80 && cp < 0xa0) {
      std::snprintf(buf, sizeof buf, "\\xc2\\x%02x", cp);
      out += buf;
    } else if (is_bidi_control(cp)) {
      std::snprintf(buf, sizeof buf, "\\u%04x", cp);
      out += buf;
    } else {
      out += s.substr(i, len);
    }
    i += len;
  }
  return out;
}

// The first n code points of valid UTF-8, then "…" if anything was left out:
// what a reader capped at n code points returns.
std::string capped(const std::string& s, size_t n) {
  size_t i = 0;
  for (size_t k = 0; k < n && i < s.size(); ++k) {
    size_t len = utf8_length(s, i);
    i += len ? len : 1;
  }
  return i < s.size() ? s.substr(0, i) + kEllipsis : s;
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

std::string head(const std::string& s) {
  return s.substr(0, 4000);
}

// --- Python --------------------------------------------------------------

struct HostileName {
  std::string key;
  std::string unicode;  // UTF-8; lone surrogates as U+FFFD
  std::string file;     // co_filename, likewise
  size_t length = 0;    // code points
  bool huge = false;
  std::string repr;  // Python's repr(), "" for the huge one
};

struct HostileTruth {
  std::string python;
  std::vector<HostileName> names;
  std::map<std::string, long> thread_tid;      // key -> native id
  std::map<std::string, std::string> task_id;  // key -> "0x..." as corostack prints ids
};

HostileTruth read_truth(const std::filesystem::path& path) {
  std::ifstream in(path);
  json j = json::parse(in);
  HostileTruth t;
  t.python = j.at("python");
  for (const json& n : j.at("names")) {
    HostileName h;
    h.key = n.at("key");
    h.unicode = n.at("unicode");
    h.file = n.at("file");
    h.length = n.at("length");
    h.huge = h.length > 4096;
    if (n.at("repr").is_string()) h.repr = n.at("repr");
    t.names.push_back(h);
  }
  for (const json& th : j.at("threads")) t.thread_tid[th.at("key")] = th.at("tid");
  for (const json& ta : j.at("tasks")) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%llx", ta.at("id").get<unsigned long long>());
    t.task_id[ta.at("key")] = buf;
  }
  return t;
}

class HostileStringsPythonTest : public testing::TestWithParam<PythonInterpreter> {
 protected:
  void SetUp() override {
    py_ = GetParam();
    probe_python_interpreter(&py_);
    ASSERT_TRUE(py_.probe_error.empty()) << py_.probe_error;
    if (py_.major != 3 || py_.minor < 8)
      GTEST_SKIP() << "SKIPPED LOUDLY: py_hostile.py needs 3.8+ (task names); this is "
                   << py_.version;
    std::cout << "hostile strings: " << py_.version << " " << py_.path
              << (py_.is_stripped ? " (stripped)" : "") << "\n";
  }

  // Runs corostack, checks it was quick and, for text, terminal-safe.
  CommandResult run(const std::vector<std::string>& args, bool text) {
    auto start = Clock::now();
    CommandResult r = run_corostack(args);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    std::string what;
    for (const std::string& a : args) what += a + " ";
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    // A 1 MiB name must not make the run slow or the output big.
    EXPECT_LT(ms, 10000) << what;
    EXPECT_LT(r.out.size(), 256u * 1024) << what;
    if (text) {
      EXPECT_EQ(terminal_violation(r.out), "") << what;
    }
    EXPECT_EQ(terminal_violation(r.err), "") << what << " (stderr)";
    return r;
  }

  PythonInterpreter py_;
};

TEST_P(HostileStringsPythonTest, DumpAndTasksEscapeEveryName) {
  TempDir dir;
  TargetProcess target({py_.path, paths::kPyHostileScript, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/true, std::chrono::seconds(40)))
      << target.output();
  HostileTruth truth = read_truth(dir / "truth");
  ASSERT_EQ(truth.names.size(), 8u);
  const std::string pid = std::to_string(target.pid());

  // dump, text: function, file and thread name of every hostile thread.
  {
    SCOPED_TRACE("dump");
    CommandResult r = run({"dump", "-p", pid}, true);
    for (const HostileName& n : truth.names) {
      SCOPED_TRACE(n.key);
      EXPECT_TRUE(contains(r.out, " " + terminal_form(capped(n.unicode, kCodeNameCap))))
          << head(r.out);
      EXPECT_TRUE(contains(r.out, terminal_form(capped(n.file, kCodeNameCap)) + ":"))
          << head(r.out);
      EXPECT_TRUE(contains(r.out, "\"" + terminal_form(capped(n.unicode, kThreadNameCap)) + "\""))
          << head(r.out);
    }
    // The escapes are visible: the title-setting sequence shows as text.
    EXPECT_TRUE(contains(r.out, "osc_\\x1b]0;pwned\\x07_end")) << head(r.out);
    EXPECT_TRUE(contains(r.out, "csi_\\x1b[2J\\x1b[31mred\\x1b[0m_end")) << head(r.out);
  }
  // dump --locals: the local holding each name is a repr, Python's own
  // (corostack's reprs follow CPython's: str.isprintable() decides).
  {
    SCOPED_TRACE("dump --locals");
    CommandResult r = run({"dump", "--locals", "-p", pid}, true);
    for (const HostileName& n : truth.names) {
      if (n.repr.empty()) continue;
      SCOPED_TRACE(n.key);
      // Python's own repr: already escaped, printed as is.
      EXPECT_TRUE(contains(r.out, "local_value = " + n.repr + "\n")) << head(r.out);
    }
  }
  // dump --json: strict UTF-8; names given back.
  {
    SCOPED_TRACE("dump --json");
    JsonRun j = run_corostack_json({"dump", "--json", "-p", pid});
    ASSERT_FALSE(j.json.is_discarded()) << j.parse_error << "\n" << j.cmd.describe();
    EXPECT_EQ(j.cmd.exit_code, 0) << j.cmd.describe();
    for (const HostileName& n : truth.names) {
      SCOPED_TRACE(n.key);
      const json* t = find_thread(j.json, static_cast<pid_t>(truth.thread_tid.at(n.key)));
      ASSERT_NE(t, nullptr);
      EXPECT_EQ(t->at("name"), capped(n.unicode, kThreadNameCap));
      bool found = false;
      for (const json& f : t->at("frames")) {
        if (f.value("kind", "") != "python" || f.at("function") != capped(n.unicode, kCodeNameCap))
          continue;
        found = true;
        EXPECT_EQ(f.at("file"), capped(n.file, kCodeNameCap));
      }
      EXPECT_TRUE(found) << t->dump().substr(0, 4000);
    }
  }
  // tasks: table and tree.
  for (bool tree : {false, true}) {
    SCOPED_TRACE(tree ? "tasks --tree" : "tasks");
    std::vector<std::string> args{"tasks", "-p", pid};
    if (tree) args.push_back("--tree");
    CommandResult r = run(args, true);
    for (const HostileName& n : truth.names) {
      SCOPED_TRACE(n.key);
      // The task's name and its coroutine's function.
      EXPECT_TRUE(contains(r.out, terminal_form(capped(n.unicode, kTaskNameCap)))) << head(r.out);
      // The table's cells are cut at 512 bytes: the huge name's coroutine
      // function (512 code points, escapes) is longer than that.
      if (!tree) {
        EXPECT_TRUE(contains(r.out, truth.task_id.at(n.key))) << head(r.out);
      }
      if (!tree && !n.huge) {
        EXPECT_TRUE(contains(r.out, terminal_form(capped(n.unicode, kCodeNameCap)))) << head(r.out);
      }
    }
  }
  // tasks --json.
  {
    SCOPED_TRACE("tasks --json");
    JsonRun j = run_corostack_json({"tasks", "--json", "-p", pid});
    ASSERT_FALSE(j.json.is_discarded()) << j.parse_error << "\n" << j.cmd.describe();
    EXPECT_EQ(j.cmd.exit_code, 0) << j.cmd.describe();
    std::map<std::string, const json*> by_id;
    for (const json& t : j.json.at("tasks")) by_id[t.at("id")] = &t;
    for (const HostileName& n : truth.names) {
      SCOPED_TRACE(n.key);
      auto it = by_id.find(truth.task_id.at(n.key));
      ASSERT_NE(it, by_id.end()) << j.cmd.out.substr(0, 4000);
      const json& t = *it->second;
      EXPECT_EQ(t.at("name"), capped(n.unicode, kTaskNameCap));
      ASSERT_FALSE(t.at("stack").empty()) << t.dump();
      EXPECT_EQ(t.at("stack")[0].at("function"), capped(n.unicode, kCodeNameCap));
      EXPECT_EQ(t.at("stack")[0].at("file"), capped(n.file, kCodeNameCap));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Interpreters, HostileStringsPythonTest,
                         testing::ValuesIn(find_python_interpreter_paths()),
                         [](const testing::TestParamInfo<PythonInterpreter>& info) {
                           return info.param.name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(HostileStringsPythonTest);

// --- Kernel thread names ---------------------------------------------------

struct CommCase {
  std::string bytes;     // what hostile_threads.cpp sets (keep in step with it)
  std::string terminal;  // how it must show on a terminal
  std::string json;      // the JSON string it must parse back to
};

const std::vector<CommCase>& comm_cases() {
  static const std::vector<CommCase> cases = {
      {"\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07", "\x1b]0;pwned\x07"},
      {"\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H", "\x1b[2J\x1b[H"},
      {"bad\xff\xfe\x7f", "bad\\xff\\xfe\\x7f", "bad\\xff\\xfe\x7f"},
      {"c1\xc2\x85\xc2\x9b<&\"", "c1\\xc2\\x85\\xc2\\x9b<&\"", "c1\xc2\x85\xc2\x9b<&\""},
      {"cut\xe2\x82", "cut\\xe2\\x82", "cut\\xe2\\x82"},
      {"back\\x1b", "back\\\\x1b", "back\\x1b"},
  };
  return cases;
}

std::string unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
  return out;
}

// tid of each case, in order, from the target's truth.
std::vector<long> read_comm_truth(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<long> tids(comm_cases().size(), 0);
  std::string word;
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    long tid = 0;
    size_t index = 0;
    std::string hex;
    if (!(ls >> word) || word != "thread" || !(ls >> tid >> index >> hex)) continue;
    if (index >= tids.size())
      ADD_FAILURE() << "truth has more names than the test: " << line;
    else if (unhex(hex) != comm_cases()[index].bytes)
      ADD_FAILURE() << "hostile_threads.cpp and the test disagree on name " << index;
    else
      tids[index] = tid;
  }
  return tids;
}

void check_comm_outputs(const std::vector<std::string>& target_args,
                        const std::vector<long>& tids) {
  std::vector<std::string> text_args{"dump"}, json_args{"dump", "--json"};
  text_args.insert(text_args.end(), target_args.begin(), target_args.end());
  json_args.insert(json_args.end(), target_args.begin(), target_args.end());
  CommandResult text = run_corostack(text_args);
  EXPECT_EQ(text.exit_code, 0) << text.describe();
  EXPECT_EQ(terminal_violation(text.out), "");
  EXPECT_EQ(terminal_violation(text.err), "");
  JsonRun j = run_corostack_json(json_args);
  ASSERT_FALSE(j.json.is_discarded()) << j.parse_error << "\n" << j.cmd.describe();
  for (size_t i = 0; i < comm_cases().size(); ++i) {
    SCOPED_TRACE("name " + std::to_string(i));
    const CommCase& c = comm_cases()[i];
    EXPECT_TRUE(contains(text.out, "Thread " + std::to_string(tids[i]) + " \"" + c.terminal + "\""))
        << text.out;
    const json* t = find_thread(j.json, static_cast<pid_t>(tids[i]));
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->at("name"), c.json);
    EXPECT_EQ(t->at("comm"), c.json);
  }
}

TEST(HostileStrings, KernelThreadNamesLiveAndCore) {
  TempDir dir;
  TargetProcess target({paths::kHostileThreads, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(true)) << target.output();
  std::vector<long> tids = read_comm_truth(dir / "truth");
  for (long tid : tids) ASSERT_NE(tid, 0);
  const std::string pid = std::to_string(target.pid());
  {
    SCOPED_TRACE("live");
    check_comm_outputs({"-p", pid}, tids);
  }
  std::string core = (dir / "hostile.core").string();
  CommandResult g = run_corostack({"gcore", "-p", pid, "-o", core});
  ASSERT_EQ(g.exit_code, 0) << g.describe();
  EXPECT_EQ(terminal_violation(g.err), "");
  {
    SCOPED_TRACE("core");
    check_comm_outputs({"--core", core}, tids);
  }
}

// The oracle above is only worth something if it can fail.
TEST(HostileStrings, TheCheckerCatchesRawEscapes) {
  EXPECT_NE(terminal_violation("a\x1b]0;x\x07"), "");
  EXPECT_NE(terminal_violation("a\x7f"), "");
  EXPECT_NE(terminal_violation("a\xc2\x9b"), "");
  EXPECT_NE(terminal_violation("a\xff"), "");
  EXPECT_NE(terminal_violation("a\xed\xa0\x80"), "");  // a surrogate
  EXPECT_EQ(terminal_violation("a\n\\x1b \u00e9\u2026\xf4\x8f\xbf\xbf"), "");
  EXPECT_EQ(terminal_form("a\\\x1b\u0085\u00e9"), "a\\\\\\x1b\\xc2\\x85\u00e9");
  EXPECT_NE(terminal_violation("a\u202eb"), "");
  EXPECT_EQ(terminal_form("a\u202eb"), "a\\u202eb");
  EXPECT_EQ(capped("\u00e9\u00e9\u00e9", 2), "\u00e9\u00e9\u2026");
  EXPECT_EQ(capped("\u00e9\u00e9", 2), "\u00e9\u00e9");
}

}  // namespace
}  // namespace e2e
