// repr_object (src/python/object_repr.hpp) against Python's own repr() on
// every CPython 2.7 and 3.6+ found: py_objects.py builds the objects and records
// id() and repr() of each; the test reads them from the live process and
// from a core written by `corostack gcore`, in-process.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "corostack.hpp"
#include "python/object_repr.hpp"
#include "python/python_locator.hpp"
#include "python_core.hpp"
#include "python_interpreters.hpp"
#include "target/core_file.hpp"
#include "target/live_process.hpp"
#include "target_process.hpp"
#include "temp_dir.hpp"

namespace e2e {
namespace {

using corostack::RemoteAddr;

const std::filesystem::path kScript =
    std::filesystem::path(__FILE__).parent_path() / "../targets/python/py_objects.py";

struct TruthObject {
  uint64_t id = 0;
  std::string repr;
  bool capped = false;
  std::string kind;  // "value" or "opaque"
  std::string type;
};

std::string hex(uint64_t v) {
  std::ostringstream ss;
  ss << "0x" << std::hex << v;
  return ss.str();
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Capped objects: the shown part is a prefix of the full repr and the
// documented marker follows (object_repr.hpp): `'xxx'…` for str/bytes,
// `, ...` before the closing bracket for containers.
testing::AssertionResult check_capped(const std::string& got, const TruthObject& t) {
  std::string shown;
  if (t.type == "str" || t.type == "bytes") {
    if (!ends_with(got, "'…")) return testing::AssertionFailure() << "no `'…` marker";
    shown = got.substr(0, got.size() - std::string("'…").size());
    size_t quote_start = t.type == "bytes" ? 2 : 1;
    if (shown.size() != quote_start + 200)
      return testing::AssertionFailure() << "shown " << shown.size() << " bytes, want 200 units";
  } else {
    std::string close = t.repr.substr(t.repr.size() - 1);
    if (t.type == "frozenset") close = "})";
    if (ends_with(t.repr, "])") && (t.type == "set" || t.type == "frozenset"))
      close = "])";  // Python 2: set([1, 2])
    if (!ends_with(got, ", ..." + close))
      return testing::AssertionFailure() << "no `, ..." << close << "` marker";
    shown = got.substr(0, got.size() - close.size() - 5);
    if (t.repr.compare(0, shown.size() + 2, shown + ", ") != 0)
      return testing::AssertionFailure() << "not cut at an item boundary";
    size_t items = 1;
    for (char c : shown) items += c == ',' && t.type != "dict" ? 1 : 0;
    if (t.type == "dict") items = static_cast<size_t>(std::count(shown.begin(), shown.end(), ':'));
    if (items != 20) return testing::AssertionFailure() << items << " items shown, want 20";
  }
  if (t.repr.compare(0, shown.size(), shown) != 0)
    return testing::AssertionFailure() << "not a prefix of the truth";
  return testing::AssertionSuccess();
}

// Checks every object; returns the number that failed.
int check_all(const corostack::MemoryReader& mem, const corostack::python::PythonLayout& layout,
              const std::vector<TruthObject>& objects, const std::string& label) {
  int failed = 0;
  for (const TruthObject& t : objects) {
    std::string got = corostack::python::repr_object(mem, layout, RemoteAddr(t.id));
    testing::AssertionResult ok = testing::AssertionSuccess();
    if (t.kind == "opaque") {
      std::string want = "<" + t.type + " at " + hex(t.id) + ">";
      if (got != want) ok = testing::AssertionFailure() << "want " << want;
    } else if (t.capped) {
      ok = check_capped(got, t);
    } else if (got != t.repr) {
      ok = testing::AssertionFailure() << "want " << t.repr;
    }
    if (!ok) {
      ++failed;
      ADD_FAILURE() << label << ": object " << hex(t.id) << " (" << t.type << "): got " << got
                    << "\n  " << ok.message();
    }
  }
  return failed;
}

class PythonObjectReprTest : public testing::TestWithParam<PythonInterpreter> {
 protected:
  void SetUp() override {
    py_ = GetParam();
    probe_python_interpreter(&py_);
    ASSERT_TRUE(py_.probe_error.empty()) << py_.probe_error;
    if ((py_.major != 3 || py_.minor < 6) && py_.version.rfind("2.7.", 0) != 0)
      GTEST_SKIP() << "[ SKIPPED LOUDLY ] " << py_.version << " is outside 2.7 and 3.6+";
  }
  PythonInterpreter py_;
};

TEST_P(PythonObjectReprTest, LiveAndCore) {
  TempDir dir;
  TargetProcess target({py_.path, kScript.string(), "{ready_fd}", (dir / "truth").string()});
  ASSERT_TRUE(target.wait_ready(/*all_sleeping=*/true));
  std::ifstream in(dir / "truth");
  nlohmann::json truth = nlohmann::json::parse(in);
  std::vector<TruthObject> objects;
  for (const auto& o : truth.at("objects")) {
    objects.push_back({o.at("id").get<uint64_t>(), o.at("repr").get<std::string>(),
                       o.at("capped").get<bool>(), o.at("kind").get<std::string>(),
                       o.at("type").get<std::string>()});
  }
  ASSERT_GT(objects.size(), 50u);
  std::string label = truth.at("python").get<std::string>() + " " + py_.path;

  auto live = corostack::LiveProcess::open(target.pid());
  ASSERT_TRUE(live) << live.error().message;
  auto found = corostack::python::locate_python(**live);
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_NE(found->layout, nullptr);
  auto t0 = std::chrono::steady_clock::now();
  int live_failed = check_all(**live, *found->layout, objects, label + " live");
  auto t1 = std::chrono::steady_clock::now();

  PythonCore pc;
  ASSERT_TRUE(write_python_core(target.pid(), dir / "python.core", &pc));
  int core_failed = check_all(*pc.core, *pc.runtime.layout, objects, label + " core");
  std::cout << "object reprs " << label << ": live " << objects.size() - live_failed << "/"
            << objects.size() << " ok ["
            << std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()
            << " us], core " << objects.size() - core_failed << "/" << objects.size() << " ok\n";
}

INSTANTIATE_TEST_SUITE_P(Interpreters, PythonObjectReprTest,
                         testing::ValuesIn(find_python_interpreter_paths()),
                         [](const testing::TestParamInfo<PythonInterpreter>& info) {
                           return info.param.name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PythonObjectReprTest);

TEST(PythonObjectReprCoverage, InterpretersFound) {
  std::vector<PythonInterpreter> found = find_python_interpreters();
  std::cout << "python object repr " << describe_coverage(found) << std::flush;
  int covered = 0;
  for (const PythonInterpreter& p : found)
    covered += p.probe_error.empty() && p.major == 3 && p.minor >= 6 ? 1 : 0;
  ASSERT_GT(covered, 0) << "no CPython 3.6+ found: object reprs covered nothing";
}

}  // namespace
}  // namespace e2e
