// Python frames show the line they execute, read from the file (as pystack
// and py-bt do); --source N adds context (py-list), --no-source hides it; a
// file modified after the process started is marked. The truth is
// py_threads.py's own record of each frame's file and line, and the file.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include <fstream>

#include "corostack.hpp"
#include "python_blocked.hpp"
#include "python_interpreters.hpp"
#include "python_truth.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

std::vector<std::string> file_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

class DumpSourceLinesTest : public testing::TestWithParam<PythonInterpreter> {};

TEST_P(DumpSourceLinesTest, LinesMatchTheFiles) {
  PythonInterpreter py = GetParam();
  probe_python_interpreter(&py);
  ASSERT_TRUE(py.probe_error.empty()) << py.probe_error;
  TempDir dir;
  TargetProcess target({py.path, PY_THREADS_SCRIPT, "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/false, std::chrono::seconds(40)));
  PyTruth truth = read_python_truth(dir / "truth");
  ASSERT_TRUE(wait_blocked(truth, target.pid())) << target.output();
  std::string pid = std::to_string(target.pid());

  JsonRun one = run_corostack_json({"dump", "--json", "-p", pid});
  JsonRun ctx = run_corostack_json({"dump", "--json", "--source", "2", "-p", pid});
  JsonRun none = run_corostack_json({"dump", "--json", "--no-source", "-p", pid});
  ASSERT_FALSE(one.json.is_discarded() || ctx.json.is_discarded() || none.json.is_discarded());
  size_t checked = 0;
  size_t positions = 0;
  for (const PyTruthThread& t : truth.threads) {
    if (t.spinning) continue;  // its innermost line moves
    const nlohmann::json* a = find_thread(one.json, t.tid);
    const nlohmann::json* b = find_thread(ctx.json, t.tid);
    const nlohmann::json* c = find_thread(none.json, t.tid);
    ASSERT_TRUE(a && b && c);
    const auto& fa = a->at("frames");
    for (size_t i = 0; i < fa.size() && i < t.frames.size(); ++i) {
      const PyTruthFrame& want = t.frames[i];
      if (!want.line || want.file.empty() || want.file[0] != '/') continue;
      SCOPED_TRACE(want.file + ":" + std::to_string(*want.line));
      auto lines = file_lines(want.file);
      ASSERT_LE(static_cast<size_t>(*want.line), lines.size());
      ASSERT_TRUE(fa[i].contains("source")) << fa[i].dump();
      ASSERT_EQ(fa[i]["source"].size(), 1u);
      EXPECT_EQ(fa[i]["source"][0]["text"], lines[*want.line - 1]);
      EXPECT_EQ(fa[i]["source"][0]["current"], true);
      EXPECT_EQ(fa[i]["source_changed"], false);
      const auto& sb = b->at("frames")[i]["source"];
      int first = std::max(1, *want.line - 2);
      int last = std::min(static_cast<int>(lines.size()), *want.line + 2);
      ASSERT_EQ(sb.size(), static_cast<size_t>(last - first + 1));
      for (size_t k = 0; k < sb.size(); ++k) {
        EXPECT_EQ(sb[k]["line"].get<int>(), first + static_cast<int>(k));
        EXPECT_EQ(sb[k]["text"], lines[first + k - 1]);
        EXPECT_EQ(sb[k]["current"].get<bool>(), first + static_cast<int>(k) == *want.line);
      }
      EXPECT_FALSE(c->at("frames")[i].contains("source"));
      // 3.11+: the expression's extent, as co_positions() gives it in the target.
      if (want.position && want.position->size() == 4 && (*want.position)[2] &&
          (*want.position)[3]) {
        ASSERT_TRUE(fa[i].contains("position")) << fa[i].dump();
        EXPECT_EQ(fa[i]["position"]["end_line"].get<int>(), (*want.position)[1].value_or(0));
        EXPECT_EQ(fa[i]["position"]["column"].get<int>(), *(*want.position)[2]);
        EXPECT_EQ(fa[i]["position"]["end_column"].get<int>(), *(*want.position)[3]);
        ++positions;
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 3u);
  if (py.major == 3 && py.minor >= 11) {
    EXPECT_GT(positions, 3u) << "3.11+ frames carry PEP 657 positions";
  }
}

INSTANTIATE_TEST_SUITE_P(Interpreters, DumpSourceLinesTest,
                         testing::ValuesIn(find_python_interpreter_paths()),
                         [](const testing::TestParamInfo<PythonInterpreter>& info) {
                           return info.param.name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DumpSourceLinesTest);

// A script changed on disk after the process started is marked.
TEST(DumpSourceLines, ModifiedFileIsMarked) {
  TempDir dir;
  auto script = dir / "waiter.py";
  {
    std::ofstream out(script);
    out << "import os, sys\nfd = int(sys.argv[1])\nos.write(fd, b'ready\\n')\n"
           "os.close(fd)\nos.read(os.pipe()[0], 1)  # the waiting line\n";
  }
  TargetProcess target({"/usr/bin/python3", script.string(), "{ready_fd}"});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/true));
  struct stat st {};
  ASSERT_EQ(::stat(script.c_str(), &st), 0);
  struct utimbuf later {
    st.st_atime, st.st_mtime + 3600
  };
  ASSERT_EQ(::utime(script.c_str(), &later), 0);
  JsonRun run = run_corostack_json({"dump", "--json", "-p", std::to_string(target.pid())});
  ASSERT_FALSE(run.json.is_discarded()) << run.cmd.describe();
  const auto& f = run.json["threads"][0]["frames"][0];
  ASSERT_TRUE(f.contains("source")) << f.dump();
  EXPECT_EQ(f["source"][0]["text"], "os.read(os.pipe()[0], 1)  # the waiting line");
  EXPECT_EQ(f["source_changed"], true);
  auto text = run_corostack({"dump", "-p", std::to_string(target.pid())});
  EXPECT_NE(text.out.find("            os.read(os.pipe()[0], 1)  # the waiting line\n"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("(file modified after the process started"), std::string::npos);
}

}  // namespace
}  // namespace e2e
