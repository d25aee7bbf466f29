// top's aggregation and screen, the folded lines and the pacer, on
// hand-built profiles.
#include <gtest/gtest.h>

#include "sample/folded_lines.hpp"
#include "sample/sampling_session.hpp"
#include "sample/top_table.hpp"

namespace corostack::sample {
namespace {

uint32_t py(Profile& p, const std::string& name, int line, const std::string& file = "a.py") {
  return p.intern_frame({ProfileFrameKind::kPython, name, file, line, ""});
}

void add(Profile& p, const std::vector<uint32_t>& stack, int times = 1) {
  uint32_t s = p.intern_stack(stack);
  uint32_t t = p.intern_thread({1, 1, "main"});
  for (int i = 0; i < times; ++i) p.add(Sample{0, s, t, -1, false, false});
}

const TopRow* row(const TopTable& t, const std::string& name) {
  for (const TopRow& r : t.rows)
    if (r.name == name) return &r;
  return nullptr;
}

// main -> hot (3 samples, two lines), main -> warm (1), main alone (1),
// recursive main -> main -> hot (1).
Profile sample_profile() {
  Profile p;
  p.rate_hz = 100;
  uint32_t thread = p.intern_frame({ProfileFrameKind::kThread, "thread 1 (main)", "", 0, ""});
  add(p, {thread, py(p, "main", 10), py(p, "hot", 20)}, 2);
  add(p, {thread, py(p, "main", 10), py(p, "hot", 21)}, 1);
  add(p, {thread, py(p, "main", 11), py(p, "warm", 30)}, 1);
  add(p, {thread, py(p, "main", 12)}, 1);
  add(p, {thread, py(p, "main", 10), py(p, "main", 13), py(p, "hot", 20)}, 1);
  return p;
}

TEST(TopTable, OwnAndTotalPerFunction) {
  Profile p = sample_profile();
  TopTable t = build_top_table(p, 0, p.samples.size());
  EXPECT_EQ(t.samples, 6u);
  EXPECT_EQ(t.samples_all, 6u);
  ASSERT_EQ(t.rows.size(), 3u) << "thread roots are not functions; lines are merged";
  const TopRow* hot = row(t, "hot");
  const TopRow* main = row(t, "main");
  const TopRow* warm = row(t, "warm");
  ASSERT_TRUE(hot && main && warm);
  EXPECT_EQ(hot->own, 4u);
  EXPECT_EQ(hot->total, 4u);
  EXPECT_EQ(hot->line, 20) << "the line seen most as leaf";
  EXPECT_EQ(main->own, 1u);
  EXPECT_EQ(main->total, 6u) << "recursion counts once per sample";
  EXPECT_EQ(warm->own, 1u);
  EXPECT_EQ(warm->total, 1u);
}

TEST(TopTable, WindowAndCumulative) {
  Profile p = sample_profile();
  // Window: the last two samples only (main alone, main->main->hot).
  TopTable t = build_top_table(p, 4, p.samples.size());
  EXPECT_EQ(t.samples, 2u);
  EXPECT_EQ(t.samples_all, 6u);
  const TopRow* hot = row(t, "hot");
  ASSERT_TRUE(hot);
  EXPECT_EQ(hot->own, 1u);
  EXPECT_EQ(hot->own_all, 4u);
  const TopRow* warm = row(t, "warm");
  ASSERT_TRUE(warm) << "rows cover the whole recording";
  EXPECT_EQ(warm->own, 0u);
  EXPECT_EQ(warm->own_all, 1u);
  // Out of range bounds are clamped.
  TopTable empty = build_top_table(p, 100, 200);
  EXPECT_EQ(empty.samples, 0u);
  EXPECT_EQ(empty.samples_all, 6u);
}

TEST(TopTable, SortColumns) {
  Profile p = sample_profile();
  TopTable t = build_top_table(p, 0, p.samples.size());
  sort_top_table(t, TopSort::kOwnPercent);
  EXPECT_EQ(t.rows[0].name, "hot");
  sort_top_table(t, TopSort::kTotalPercent);
  EXPECT_EQ(t.rows[0].name, "main");
  sort_top_table(t, TopSort::kTotalTime);
  EXPECT_EQ(t.rows[0].name, "main");
  sort_top_table(t, TopSort::kOwnTime);
  EXPECT_EQ(t.rows[0].name, "hot");
  // Equal own counts (main, warm): by name.
  EXPECT_EQ(t.rows[1].name, "main");
  EXPECT_EQ(t.rows[2].name, "warm");
}

TEST(TopTable, RenderEscapesAndMarksTheSortColumn) {
  Profile p;
  p.rate_hz = 100;
  add(p, {py(p, "evil\x1b[2Jname", 5, "f\nile.py")}, 3);
  TopTable t = build_top_table(p, 0, p.samples.size());
  TopHeader h;
  h.pid = 42;
  h.command = "python\x1b]0;x\x07 app";
  h.interval_ns = p.interval_ns();
  std::string screen = render_top(t, h, TopSort::kTotalTime, 200, 10);
  EXPECT_EQ(screen.find('\x1b'), std::string::npos) << screen;
  EXPECT_NE(screen.find("[TotalTime]"), std::string::npos) << screen;
  EXPECT_NE(screen.find("100.0%"), std::string::npos) << screen;
  EXPECT_NE(screen.find("0.03s"), std::string::npos) << "3 samples at 100 Hz: " << screen;
  EXPECT_NE(screen.find("(pid: 42)"), std::string::npos);
  // Width cut and row limit.
  std::string narrow = render_top(t, h, TopSort::kOwnPercent, 20, 0);
  size_t start = 0;
  while (start < narrow.size()) {
    size_t nl = narrow.find('\n', start);
    EXPECT_LE(nl - start, 20u);
    start = nl + 1;
  }
  EXPECT_EQ(narrow.find("evil"), std::string::npos) << "max_rows 0: no rows";
}

TEST(FoldedLines, CountsPerStack) {
  Profile p = sample_profile();
  auto f = folded_counts(p);
  EXPECT_EQ(f.at("thread 1 (main);main (a.py:10);hot (a.py:20)"), 2u);
  EXPECT_EQ(f.at("thread 1 (main);main (a.py:12)"), 1u);
  uint64_t total = 0;
  for (const auto& [k, v] : f) total += v;
  EXPECT_EQ(total, 6u);
  EXPECT_EQ(folded_frame_label({ProfileFrameKind::kNative, "a;b", "", 0, "/lib/libc.so.6"}),
            "a:b [libc.so.6]");
  EXPECT_EQ(folded_frame_label({ProfileFrameKind::kPython, "f", "x.py", 0, ""}), "f (x.py)");
}

TEST(Pacer, LateRoundsRestartTheSchedule) {
  Pacer pacer(1000);  // 1 ms
  EXPECT_EQ(pacer.interval_ns(), 1'000'000u);
  EXPECT_FALSE(pacer.start_round());  // due at start
  uint64_t due = pacer.due_ns();
  EXPECT_EQ(due, pacer.start_ns() + 1'000'000u);
  EXPECT_TRUE(pacer.sleep_until_due());
  EXPECT_GE(Pacer::monotonic_ns(), due);
  pacer.start_round();  // on time unless this machine is very busy
  timespec ts{0, 5'000'000};
  ::nanosleep(&ts, nullptr);  // 5 intervals behind
  EXPECT_TRUE(pacer.start_round());
  EXPECT_GT(pacer.due_ns(), Pacer::monotonic_ns()) << "no burst to catch up";
}

}  // namespace
}  // namespace corostack::sample
