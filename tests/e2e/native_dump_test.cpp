// End-to-end: `corostack dump --json` of native_threads (-O0 and -O2), live
// and from three kinds of core, against the truth the target wrote.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "corostack.hpp"
#include "function_names.hpp"
#include "gdb.hpp"
#include "native_target.hpp"

namespace e2e {
namespace {

using nlohmann::json;

enum class Source {
  kLive,        // corostack dump -p PID
  kGdbCore,     // gdb's gcore of the live target
  kKernelCore,  // the kernel's core of native_threads --crash (with --exe)
  kOwnGcore,    // corostack gcore of the live target
};

struct DumpCase {
  NativeBuild build;
  Source source;
};

std::string source_name(Source s) {
  switch (s) {
    case Source::kLive:
      return "Live";
    case Source::kGdbCore:
      return "GdbCore";
    case Source::kKernelCore:
      return "KernelCore";
    case Source::kOwnGcore:
      return "OwnGcore";
  }
  return "?";
}

void PrintTo(const DumpCase& c, std::ostream* os) {
  *os << c.build.name << " " << source_name(c.source) << " " << c.build.exe;
}

std::vector<DumpCase> all_cases() {
  std::vector<DumpCase> cases;
  for (const NativeBuild& b : native_builds())
    for (Source s : {Source::kLive, Source::kGdbCore, Source::kKernelCore, Source::kOwnGcore})
      cases.push_back({b, s});
  return cases;
}

// The system calls a native_threads thread sleeps in, by its role.
std::vector<std::string> expected_syscalls(const TruthThread& t, bool is_main) {
  if (is_main) return {"read"};
  if (t.name == "sleeper") return {"clock_nanosleep", "nanosleep"};
  if (t.name == "poller") return {"epoll_wait", "epoll_pwait", "epoll_pwait2"};
  if (t.name == "waiter") return {"futex"};
  return {"read"};  // reader, locker, deep-K
}

// obj[key], or null when obj is not an object or lacks it (const operator[]
// on a missing key is undefined behaviour in nlohmann::json).
const json& field(const json& obj, const char* key) {
  static const json null;
  if (!obj.is_object()) return null;
  auto it = obj.find(key);
  return it == obj.end() ? null : *it;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class NativeDumpTest : public testing::TestWithParam<DumpCase> {
 protected:
  // Brings the target to its state and runs corostack on the case's source.
  void dump() {
    const DumpCase& c = GetParam();
    std::filesystem::path core = dir_ / "target.core";
    if (c.source == Source::kKernelCore) {
      if (std::string why = kernel_core_unavailable(); !why.empty()) GTEST_SKIP() << why;
      ASSERT_TRUE(make_kernel_core(c.build.exe, dir_, &truth_, &core));
      run_ = run_corostack_json({"dump", "--core", core.string(), "--exe", c.build.exe, "--json"});
      return;
    }
    ASSERT_TRUE(start_blocked(c.build.exe, native_threads_args(), dir_, &target_, &truth_));
    std::string pid = std::to_string(target_->pid());
    if (c.source == Source::kLive) {
      run_ = run_corostack_json({"dump", "-p", pid, "--json"});
      return;
    }
    if (c.source == Source::kGdbCore) {
      CommandResult gcore = gdb_gcore(target_->pid(), core);
      ASSERT_TRUE(gcore.ok() && std::filesystem::exists(core)) << gcore.describe();
    } else {
      CommandResult gcore = run_corostack({"gcore", "-p", pid, "-o", core.string()});
      ASSERT_TRUE(gcore.ok() && std::filesystem::exists(core)) << gcore.describe();
    }
    run_ = run_corostack_json({"dump", "--core", core.string(), "--json"});
  }

  // Frames of one thread against its truth chain.
  void check_frames(const TruthThread& t, const json& thread) {
    SCOPED_TRACE("thread " + std::to_string(t.tid) + " " + t.name);
    std::vector<std::string> functions = frame_functions(thread);
    size_t at = 0;
    ASSERT_TRUE(contains_chain(functions, t.chain, &at));
    const json& frames = field(thread, "frames");
    for (size_t i = 0; i < frames.size(); ++i) {
      const json& module = field(frames[i], "module");
      EXPECT_TRUE(module.is_string()) << "frame " << i << " (" << functions[i] << ") has no module";
    }
    for (size_t i = at; i < at + t.chain.size(); ++i) {
      const json& f = frames[i];
      EXPECT_EQ(field(f, "module"), json(truth_.exe)) << "frame " << i;
      // Both builds have -g; -O2 keeps line info for these call sites too.
      const json& file = field(f, "file");
      EXPECT_TRUE(file.is_string() && ends_with(file.get<std::string>(), "native_threads.cpp"))
          << "frame " << i << " (" << functions[i] << ") file: " << file;
      const json& line = field(f, "line");
      EXPECT_TRUE(line.is_number_integer() && line.get<int>() > 0)
          << "frame " << i << " (" << functions[i] << ") line: " << line;
      // Names of always_inline functions exist only in DWARF: they must come
      // back as inlined frames, and the function they were inlined into not.
      bool inlined = functions[i] == "inliner_leaf" || functions[i] == "inliner_mid";
      EXPECT_EQ(field(f, "inlined"), json(inlined)) << "frame " << i << " (" << functions[i] << ")";
    }
  }

  void check_thread(const TruthThread& t, const json& thread) {
    const Source source = GetParam().source;
    bool is_main = t.tid == truth_.pid;
    EXPECT_EQ(thread.value("is_main", !is_main), is_main) << "thread " << t.tid;
    if (source == Source::kLive || source == Source::kOwnGcore) {
      EXPECT_EQ(thread.value("name", std::string("<missing>")), t.name) << "thread " << t.tid;
    }
    if (source == Source::kLive) {
      EXPECT_EQ(thread.value("state", std::string()), "S") << "thread " << t.tid;
      const json& syscall = field(thread, "syscall");
      std::vector<std::string> expected = expected_syscalls(t, is_main);
      std::string name = syscall.is_object() ? syscall.value("name", std::string()) : "";
      EXPECT_NE(std::find(expected.begin(), expected.end(), name), expected.end())
          << "thread " << t.tid << " " << t.name << ": syscall " << syscall << ", expected one of "
          << join(expected);
    }
    check_frames(t, thread);
  }

  TempDir dir_;
  std::unique_ptr<TargetProcess> target_;
  Truth truth_;
  JsonRun run_;
};

TEST_P(NativeDumpTest, MatchesTruth) {
  dump();
  if (IsSkipped() || HasFatalFailure()) return;
  ASSERT_EQ(run_.cmd.exit_code, 0) << run_.cmd.describe();
  ASSERT_FALSE(run_.json.is_discarded()) << run_.parse_error << "\nstdout:\n" << run_.cmd.out;
  const json& dump = run_.json;
  EXPECT_EQ(dump.value("schema", 0), 1);
  EXPECT_EQ(dump.value("complete", false), true);
  bool live = GetParam().source == Source::kLive;
  EXPECT_EQ(field(field(dump, "source"), "kind"), live ? "live" : "core");
  EXPECT_EQ(field(field(dump, "process"), "pid"), truth_.pid);

  ASSERT_TRUE(field(dump, "threads").is_array()) << dump;
  EXPECT_EQ(field(dump, "threads").size(), truth_.threads.size());
  for (const TruthThread& t : truth_.threads) {
    const json* thread = find_thread(dump, t.tid);
    if (!thread) {
      ADD_FAILURE() << "no thread " << t.tid << " (" << t.name << ") in the dump";
      continue;
    }
    check_thread(t, *thread);
  }
  // A live dump must leave the target running: every thread back asleep,
  // none left stopped by ptrace.
  if (live) {
    EXPECT_TRUE(target_->wait_all_sleeping(std::chrono::seconds(5)));
  }
}

INSTANTIATE_TEST_SUITE_P(NativeThreads, NativeDumpTest, testing::ValuesIn(all_cases()),
                         [](const testing::TestParamInfo<DumpCase>& info) {
                           return info.param.build.name + "_" + source_name(info.param.source);
                         });

}  // namespace
}  // namespace e2e
