#include "coro/coro_table.hpp"

#include <elfutils/libdwfl.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>

#include "coro/coro_symbols.hpp"
#include "coro/suspend_points.hpp"

// Line precision per sample build, as measured (details in expected_precision):
//   clang22 -O0  labels (exact)        clang22 -O2  labels / heuristic / none per coroutine
//   clang19 -O0  heuristic (exact)     clang19 -O2  none (no frame type: no index offset)
//   clang14 -O0  heuristic (exact)     clang14 -O2  heuristic (exact for this sample)
//   gcc     -O0  heuristic (exact)     gcc     -O2  none (index stored from a register)

namespace corostack::coro {
namespace {

// ---- symbol classification (no binaries needed) ----

TEST(CoroTableSymbols, ClassifiesClangClones) {
  auto r = parse_clone_name("_Z4leafi.resume");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ramp, "_Z4leafi");
  EXPECT_EQ(r->compiler, CoroCompiler::kClang);
  EXPECT_EQ(r->role, CloneRole::kResume);
  EXPECT_EQ(parse_clone_name("_Z4leafi.destroy")->role, CloneRole::kDestroy);
  EXPECT_EQ(parse_clone_name("_Z4leafi.cleanup")->role, CloneRole::kCleanup);
  EXPECT_FALSE(parse_clone_name("_Z4leafi.__await_suspend_wrapper__await"));
  EXPECT_FALSE(parse_clone_name("_Z4leafi.resume.cold"));
  EXPECT_FALSE(parse_clone_name("_Z4leafi"));
  EXPECT_FALSE(parse_clone_name("resume"));
}

TEST(CoroTableSymbols, ClassifiesGccClonesWithTheLengthCheck) {
  auto r = parse_clone_name("_Z4leafPZ4leafiE14_Z4leafi.Frame.actor");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ramp, "_Z4leafi");
  EXPECT_EQ(r->compiler, CoroCompiler::kGcc);
  EXPECT_EQ(r->role, CloneRole::kResume);
  auto lambda =
      parse_clone_name("_ZZ4mainENUliE_clEPZZ4mainENKS_clEiE26_ZZ4mainENKUliE_clEi.Frame.destroy");
  ASSERT_TRUE(lambda);
  EXPECT_EQ(lambda->ramp, "_ZZ4mainENKUliE_clEi");
  EXPECT_EQ(lambda->role, CloneRole::kDestroy);
  // Wrong length prefix, .cold parts: not clones.
  EXPECT_FALSE(parse_clone_name("_Z4leafPZ4leafiE15_Z4leafi.Frame.actor"));
  EXPECT_FALSE(parse_clone_name("_Z4leafPZ4leafiE14_Z4leafi.Frame.actor.cold"));
}

TEST(CoroTableSymbols, RecognisesNoopCoroutineFunctions) {
  EXPECT_TRUE(is_noop_coroutine_symbol(
      "_ZNSt7__n486116coroutine_handleINS_22noop_coroutine_promiseEE7__frame22__dummy_resume_"
      "destroyEv"));
  EXPECT_TRUE(is_noop_coroutine_symbol("__NoopCoro_ResumeDestroy"));
  EXPECT_FALSE(is_noop_coroutine_symbol("_Z4leafi.destroy"));
}

// ---- immediate-store decoder ----

TEST(CoroTableIndexStores, DecodesMovbWithDisp8Disp32RexAndSib) {
  const std::vector<uint8_t> code = {
      0xc6, 0x40, 0x44, 0x01,                    // movb $1, 0x44(%rax)
      0x41, 0xc6, 0x47, 0x44, 0x02,              // movb $2, 0x44(%r15)
      0xc6, 0x44, 0x24, 0x44, 0x03,              // movb $3, 0x44(%rsp)   (SIB)
      0xc6, 0x80, 0x44, 0x00, 0x00, 0x00, 0x04,  // movb $4, 0x44(%rax)   (disp32)
      0xc6, 0x40, 0x45, 0x05,                    // other offset: ignored
      0xc6, 0x00, 0x06,                          // no displacement: ignored
  };
  auto stores = find_index_stores(code, 0x44, 1);
  ASSERT_EQ(stores.size(), 4u);
  EXPECT_EQ(stores[0].offset, 0u);
  EXPECT_EQ(stores[0].value, 1u);
  EXPECT_EQ(stores[1].offset, 4u);
  EXPECT_EQ(stores[1].value, 2u);
  EXPECT_EQ(stores[2].value, 3u);
  EXPECT_EQ(stores[3].value, 4u);
}

TEST(CoroTableIndexStores, DecodesMovw) {
  const std::vector<uint8_t> code = {
      0x66, 0xc7, 0x40, 0x2c, 0x04, 0x00,              // movw $4, 0x2c(%rax)
      0x66, 0x41, 0xc7, 0x44, 0x24, 0x2c, 0x06, 0x01,  // movw $0x106, 0x2c(%r12)
      0xc7, 0x40, 0x2c, 0x08, 0x00, 0x00, 0x00,        // movl: ignored
  };
  auto stores = find_index_stores(code, 0x2c, 2);
  ASSERT_EQ(stores.size(), 2u);
  EXPECT_EQ(stores[0].value, 4u);
  EXPECT_EQ(stores[1].offset, 6u);
  EXPECT_EQ(stores[1].value, 0x106u);
}

// ---- sample binaries ----

struct SampleBuild {
  const char* tag;  // gcc, clang14, clang19, clang22
  const char* opt;  // O0, O2
};

std::string build_name(const SampleBuild& b) {
  return std::string(b.tag) + "_" + b.opt;
}
void PrintTo(const SampleBuild& b, std::ostream* os) {
  *os << build_name(b);
}

// The sample opened offline, as a core's or a live process's module would be.
class OfflineSample {
 public:
  explicit OfflineSample(const std::string& path) {
    static const Dwfl_Callbacks callbacks = {dwfl_build_id_find_elf, dwfl_standard_find_debuginfo,
                                             dwfl_offline_section_address, nullptr};
    dwfl_ = dwfl_begin(&callbacks);
    if (!dwfl_) return;
    module_ = dwfl_report_offline(dwfl_, "sample", path.c_str(), -1);
    dwfl_report_end(dwfl_, nullptr, nullptr);
  }
  ~OfflineSample() {
    if (dwfl_) dwfl_end(dwfl_);
  }
  OfflineSample(const OfflineSample&) = delete;
  OfflineSample& operator=(const OfflineSample&) = delete;
  Dwfl_Module* module() const { return module_; }

 private:
  Dwfl* dwfl_ = nullptr;
  Dwfl_Module* module_ = nullptr;
};

// "SUSPEND <function> <n>" markers -> line, and each function's first line.
struct SourceLines {
  std::map<std::string, std::map<int, int>> suspend;  // function -> n -> line
  std::map<std::string, int> decl;                    // function -> line of its definition
};

SourceLines read_source_lines() {
  SourceLines out;
  std::ifstream in(COROSTACK_CORO_SAMPLE_SOURCE);
  const std::regex marker(R"(// SUSPEND (\w+) (\d+))");
  const std::regex definition(R"(^\w+ (?:\w+::)?(\w+)\([^)]*\) \{$)");
  const std::regex decl_marker(R"(// DECL (\w+))");
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::smatch m;
    if (std::regex_search(line, m, marker)) out.suspend[m[1]][std::stoi(m[2])] = n;
    if (std::regex_search(line, m, definition) || std::regex_search(line, m, decl_marker)) {
      out.decl[m[1]] = n;
    }
  }
  return out;
}

// "leaf(int)" -> leaf, "worker::run(int)" -> run, the lambda in main -> lambda
// (the marker names in the sample).
std::string short_name(const std::string& name) {
  if (name.starts_with("main::")) return "lambda";
  std::string fn = name.substr(0, name.find('('));
  auto colon = fn.rfind("::");
  return colon == std::string::npos ? fn : fn.substr(colon + 2);
}

class CoroTable : public ::testing::TestWithParam<SampleBuild> {
 protected:
  void SetUp() override {
    path_ = std::string(COROSTACK_CORO_SAMPLES_DIR) + "/sample-" + GetParam().tag + "-" +
            GetParam().opt;
    if (!std::filesystem::exists(path_)) {
      GTEST_SKIP() << "no sample " << path_ << " (compiler for " << GetParam().tag
                   << " not installed)";
    }
    sample_ = std::make_unique<OfflineSample>(path_);
    ASSERT_NE(sample_->module(), nullptr) << dwfl_errmsg(-1);
    auto table = build_coroutine_table(sample_->module(), CoroTableOptions{});
    ASSERT_TRUE(table.ok()) << table.error().message;
    for (CoroutineInfo& c : *table) by_function_[short_name(c.name)] = c;
  }

  bool is(const char* tag, const char* opt = nullptr) const {
    return std::string(GetParam().tag) == tag && (!opt || std::string(GetParam().opt) == opt);
  }
  bool gcc() const { return is("gcc"); }

  const CoroutineInfo& coro(const std::string& fn) {
    static const CoroutineInfo kMissing;
    auto it = by_function_.find(fn);
    EXPECT_NE(it, by_function_.end()) << fn << " not in the table";
    return it == by_function_.end() ? kMissing : it->second;
  }

  // The suspend index of the n-th co_await/co_yield in source order.
  uint32_t index_of(int n) const { return gcc() ? 2 + 2 * n : n; }

  // What each build gives, as measured with this sample (Debian 12:
  // g++ 12.2, clang 14.0.6, 19.1.7, 22.1.8).
  LinePrecision expected_precision(const std::string& fn) const {
    using enum LinePrecision;
    if (is("clang22", "O0")) return kLabels;
    if (is("clang22", "O2")) {
      // Labels survive in middle only; leaf's awaits were merged (no labels,
      // index from a register); the others keep immediate stores.
      if (fn == "middle") return kLabels;
      if (fn == "leaf") return kNone;
      return kHeuristic;
    }
    if (is("clang19", "O2")) return kNone;  // no frame type, so no index offset
    if (is("gcc", "O2")) return kNone;      // index stored from a register
    return kHeuristic;                      // gcc -O0, clang 14 -O0/-O2, clang 19 -O0
  }

  void expect_lines() {
    SourceLines src = read_source_lines();
    ASSERT_FALSE(src.suspend.empty());
    for (const auto& [fn, marks] : src.suspend) {
      const CoroutineInfo& c = coro(fn);
      EXPECT_EQ(c.decl_line, src.decl[fn]) << fn;
      LinePrecision expected = expected_precision(fn);
      EXPECT_EQ(c.precision, expected) << fn;
      if (expected == LinePrecision::kNone) {
        EXPECT_TRUE(c.suspend_points.empty()) << fn;
        continue;
      }
      std::map<uint32_t, int> lines;
      for (size_t i = 0; i < c.suspend_points.size(); ++i) {
        lines[c.suspend_points[i].index] = c.suspend_points[i].line;
        if (i > 0) {
          EXPECT_LT(c.suspend_points[i - 1].index, c.suspend_points[i].index) << fn;
        }
      }
      EXPECT_EQ(lines[index_of(0)], src.decl[fn]) << fn << ": initial suspend at the decl line";
      for (const auto& [n, line] : marks) {
        EXPECT_EQ(lines[index_of(n)], line) << fn << " suspend #" << n;
      }
      // The final suspend follows the last marked one. Complete labels
      // (-O0) give it exactly; the code scan gives no bound, only clang 14's
      // bitfield width does.
      uint32_t final_index = index_of(static_cast<int>(marks.size()) + 1);
      if (is("clang22", "O0")) {
        EXPECT_EQ(c.max_index, std::optional<uint32_t>(final_index)) << fn;
      } else if (is("clang14")) {
        ASSERT_TRUE(c.max_index) << fn;
        EXPECT_GE(*c.max_index, final_index) << fn;
      } else if (c.max_index) {
        EXPECT_GE(*c.max_index, final_index) << fn;
      }
    }
  }

  std::string path_;
  std::unique_ptr<OfflineSample> sample_;
  std::map<std::string, CoroutineInfo> by_function_;
};

TEST_P(CoroTable, FindsEveryCoroutineWithItsClones) {
  const std::map<std::string, std::string> expected = {
      {"leaf", "leaf(int)"},
      {"middle", "middle(int)"},
      {"counter", "counter(int)"},
      {"aligned_coro", "aligned_coro(long)"},
      {"run", "worker::run(int)"},
      {"lambda", gcc() ? "main::{lambda(int)#1}::operator()(int) const"
                       : "main::$_0::operator()(int) const"}};
  EXPECT_EQ(by_function_.size(), expected.size());
  for (const auto& [fn, name] : expected) {
    const CoroutineInfo& c = coro(fn);
    EXPECT_EQ(c.name, name);
    EXPECT_EQ(c.compiler, gcc() ? CoroCompiler::kGcc : CoroCompiler::kClang);
    EXPECT_NE(c.resume, 0u) << fn;
    EXPECT_GT(c.resume_size, 0u) << fn;
    EXPECT_TRUE(c.destroy != 0 || c.cleanup != 0) << fn;
    // Runtime addresses: the module resolves them back to the clone symbols.
    const char* resume = dwfl_module_addrname(sample_->module(), c.resume);
    ASSERT_NE(resume, nullptr);
    std::string r(resume);
    EXPECT_TRUE(r == c.ramp_linkage + ".resume" || r.ends_with(c.ramp_linkage + ".Frame.actor"))
        << r;
  }
}

TEST_P(CoroTable, PromiseOffsetHonoursOverAlignment) {
  const std::map<std::string, std::string> promise_types = {
      {"leaf", "task::promise_type"},         {"middle", "task::promise_type"},
      {"counter", "generator::promise_type"}, {"aligned_coro", "atask::promise_type"},
      {"run", "task::promise_type"},          {"lambda", "task::promise_type"}};
  for (const auto& [fn, type] : promise_types) {
    const CoroutineInfo& c = coro(fn);
    EXPECT_EQ(c.promise_type, type) << fn;
    EXPECT_EQ(c.promise_offset, fn == "aligned_coro" ? 0x40u : 0x10u) << fn;
    EXPECT_EQ(c.promise_align, fn == "aligned_coro" ? 64u : fn == "counter" ? 4u : 8u) << fn;
    EXPECT_GT(c.promise_size, 0u) << fn;
  }
}

TEST_P(CoroTable, ContinuationFoundThroughBaseClassAndAbsentForGenerator) {
  EXPECT_EQ(coro("leaf").continuation_offset, std::optional<uint64_t>(8));
  EXPECT_EQ(coro("middle").continuation_offset, std::optional<uint64_t>(8));
  EXPECT_EQ(coro("run").continuation_offset, std::optional<uint64_t>(8));
  EXPECT_EQ(coro("lambda").continuation_offset, std::optional<uint64_t>(8));
  EXPECT_EQ(coro("aligned_coro").continuation_offset, std::optional<uint64_t>(0));
  EXPECT_EQ(coro("counter").continuation_offset, std::nullopt);
}

TEST_P(CoroTable, ContinuationNamesAreTriedInOrder) {
  CoroTableOptions options;
  options.continuation_names = {"no_such_member", "payload", "continuation"};
  auto table = build_coroutine_table(sample_->module(), options);
  ASSERT_TRUE(table.ok());
  for (const CoroutineInfo& c : *table) {
    if (c.name == "aligned_coro(long)") {
      EXPECT_EQ(c.continuation_offset, 8u);  // payload
    }
    if (c.name == "leaf(int)") {
      EXPECT_EQ(c.continuation_offset, 8u);  // continuation, through the base
    }
  }
}

// Index and frame type exist everywhere except clang 17-19 at -O2 (llvm#121092).
TEST_P(CoroTable, FrameTypeAndIndexWhereTheCompilerEmitsThem) {
  bool no_frame_type = is("clang19", "O2");
  for (const char* fn : {"leaf", "middle", "counter", "aligned_coro", "run", "lambda"}) {
    const CoroutineInfo& c = coro(fn);
    if (no_frame_type) {
      EXPECT_TRUE(c.frame_type.empty()) << fn << ": " << c.frame_type;
      EXPECT_FALSE(c.index) << fn;
      continue;
    }
    EXPECT_FALSE(c.frame_type.empty()) << fn;
    EXPECT_GT(c.frame_size, c.promise_offset) << fn;
    ASSERT_TRUE(c.index) << fn;
    // After the two function pointers and outside the promise (clang packs
    // fields into the padding before an over-aligned promise).
    EXPECT_GE(c.index->offset, 16u) << fn;
    EXPECT_TRUE(c.index->offset < c.promise_offset ||
                c.index->offset >= c.promise_offset + c.promise_size)
        << fn;
    if (gcc()) {
      EXPECT_EQ(c.index->byte_size, 2u) << fn << ": _Coro_resume_index is a u16";
      EXPECT_EQ(c.index->bit_size, 0u) << fn;
      ASSERT_TRUE(c.self_handle_offset) << fn;
    } else {
      EXPECT_EQ(c.index->byte_size, 1u) << fn;
      EXPECT_FALSE(c.self_handle_offset) << fn;
    }
    if (is("clang14")) {
      EXPECT_GT(c.index->bit_size, 0u) << fn << ": clang 14's __coro_index is a bitfield";
      EXPECT_LE(c.index->bit_offset + c.index->bit_size, 8u) << fn;
    }
  }
}

// Exact lines: labels on clang 22 -O0; the immediate-store scan on g++ -O0,
// clang 14 -O0/-O2 and clang 19 -O0; a mix on clang 22 -O2; nothing on
// g++ -O2 and clang 19 -O2 (see expected_precision).
TEST_P(CoroTable, SuspendLinesMatchTheSourceMarkers) {
  expect_lines();
}

// clang -O2 elides the lambda's frame into main (HALO) and drops its
// .destroy: the table must still know it through .cleanup alone.
TEST_P(CoroTable, ElidedCoroutineKnownThroughCleanupOnly) {
  if (gcc() || is(GetParam().tag, "O0")) GTEST_SKIP() << "HALO is a clang -O2 transformation";
  const CoroutineInfo& c = coro("lambda");
  EXPECT_EQ(c.destroy, 0u);
  ASSERT_NE(c.cleanup, 0u);
  EXPECT_EQ(c.promise_type, "task::promise_type");
  EXPECT_EQ(c.promise_offset, 0x10u);
  EXPECT_EQ(c.continuation_offset, std::optional<uint64_t>(8));
}

TEST_P(CoroTable, FindsTheNoopCoroutine) {
  std::vector<uint64_t> noop = noop_coroutine_functions(sample_->module());
  ASSERT_FALSE(noop.empty());
  const char* name = dwfl_module_addrname(sample_->module(), noop[0]);
  ASSERT_NE(name, nullptr);
  EXPECT_TRUE(is_noop_coroutine_symbol(name)) << name;
}

INSTANTIATE_TEST_SUITE_P(
    Samples, CoroTable,
    ::testing::Values(SampleBuild{"gcc", "O0"}, SampleBuild{"gcc", "O2"},
                      SampleBuild{"clang14", "O0"}, SampleBuild{"clang14", "O2"},
                      SampleBuild{"clang19", "O0"}, SampleBuild{"clang19", "O2"},
                      SampleBuild{"clang22", "O0"}, SampleBuild{"clang22", "O2"}),
    [](const auto& info) { return build_name(info.param); });

}  // namespace
}  // namespace corostack::coro
