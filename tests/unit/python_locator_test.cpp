// The memory-only half of locate_python over hostile fake targets: interpreter
// validation, the _Py_DebugOffsets, runtime and version-string scans, and the
// whole locator on a "libpython" whose ELF file cannot be read.
#include "python/python_locator.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "python/python_runtime_scan.hpp"
#include "python/python_versions.hpp"
#include "target/fake_target.hpp"

namespace corostack::python {
namespace {

using Bytes = std::vector<std::byte>;

void put64(Bytes& b, uint64_t off, uint64_t v) {
  ASSERT_LE(off + 8, b.size());
  std::memcpy(b.data() + off, &v, 8);
}
void put_text(Bytes& b, uint64_t off, std::string_view s) {
  ASSERT_LE(off + s.size(), b.size());
  std::memcpy(b.data() + off, s.data(), s.size());
}

const PythonLayout& L311() {
  return *layout_for(3, 11);
}

// A heap with one PyInterpreterState at kInterp and `threads` thread states
// linked from it, each pointing back (3.11 offsets).
constexpr uint64_t kHeap = 0x10000;
constexpr uint64_t kInterp = kHeap + 0x100;
constexpr uint64_t kTstate0 = kHeap + 0x1000;
Bytes heap(int threads) {
  const PythonLayout& l = L311();
  Bytes b(0x4000);
  uint64_t prev = kInterp + l.interp_threads_head.offset;
  for (int i = 0; i < threads; ++i) {
    uint64_t t = kTstate0 + i * 0x200;
    put64(b, prev - kHeap, t);
    put64(b, t - kHeap + l.tstate_interp.offset, kInterp);
    prev = t + l.tstate_next.offset;
  }
  return b;
}

TEST(PythonInterpreterCheck, CountsThreadsPointingBack) {
  FakeTarget t;
  t.add_region(RemoteAddr(kHeap), heap(3));
  InterpreterCheck c = check_interpreter(t, L311(), RemoteAddr(kInterp));
  EXPECT_TRUE(c.valid) << c.reason;
  EXPECT_EQ(c.back_references, 3);
  EXPECT_TRUE(c.list_ended);
}

TEST(PythonInterpreterCheck, RejectsNullUnreadableAndNoBackReference) {
  FakeTarget t;
  Bytes b = heap(1);
  t.add_region(RemoteAddr(kHeap), b);
  t.add_region(RemoteAddr(0x40000), Bytes(0x1000), "---p");
  EXPECT_FALSE(check_interpreter(t, L311(), RemoteAddr(0)).valid);
  EXPECT_FALSE(check_interpreter(t, L311(), RemoteAddr(kInterp + 3)).valid);   // misaligned
  EXPECT_FALSE(check_interpreter(t, L311(), RemoteAddr(0x40000)).valid);       // PROT_NONE
  EXPECT_FALSE(check_interpreter(t, L311(), RemoteAddr(0x90000)).valid);       // unmapped
  EXPECT_FALSE(check_interpreter(t, L311(), RemoteAddr(~uint64_t{7})).valid);  // kernel half
  // The thread state points elsewhere.
  put64(b, kTstate0 - kHeap + L311().tstate_interp.offset, kInterp + 8);
  FakeTarget t2;
  t2.add_region(RemoteAddr(kHeap), b);
  InterpreterCheck c = check_interpreter(t2, L311(), RemoteAddr(kInterp));
  EXPECT_FALSE(c.valid);
  EXPECT_EQ(c.back_references, 0);
}

TEST(PythonInterpreterCheck, CyclicThreadListIsBounded) {
  Bytes b = heap(2);
  uint64_t second = kTstate0 + 0x200;
  put64(b, second - kHeap + L311().tstate_next.offset, kTstate0);  // 2 -> 1 -> 2 -> ...
  FakeTarget t;
  t.add_region(RemoteAddr(kHeap), b);
  InterpreterCheck c = check_interpreter(t, L311(), RemoteAddr(kInterp));
  EXPECT_TRUE(c.valid);
  EXPECT_EQ(c.back_references, 2);
  EXPECT_FALSE(c.list_ended);
  // A thread state linked to itself.
  put64(b, kTstate0 - kHeap + L311().tstate_next.offset, kTstate0);
  FakeTarget t2;
  t2.add_region(RemoteAddr(kHeap), b);
  c = check_interpreter(t2, L311(), RemoteAddr(kInterp));
  EXPECT_EQ(c.back_references, 1);
  EXPECT_FALSE(c.list_ended);
}

TEST(PythonDebugOffsets, CookieNeedsAPlausibleVersion) {
  Bytes data(0x3000);
  put_text(data, 0x100, "xdebugpy");
  put64(data, 0x108, 0x020712f0);  // "2.7.18": not 3.13+
  put_text(data, 0x205, "xdebugpy");
  put64(data, 0x20d, 0x030d00f0);  // misaligned
  put_text(data, 0x300, "xdebugpx");
  put64(data, 0x308, 0x030d00f0);  // wrong cookie
  put_text(data, 0x400, "xdebugpy");
  put64(data, 0x408, 0xffffffff030d00f0);  // garbage high bits
  FakeTarget t;
  t.add_region(RemoteAddr(0x100000), data, "rw-p", "/lib/libpython3.13.so.1.0", 0x1000);
  ScanRange range{RemoteAddr(0x100000), data.size()};
  EXPECT_FALSE(scan_for_debug_offsets(t, std::span(&range, 1)));
  put_text(data, 0x2ff8, "xdebugpy");  // the version would be past the end
  FakeTarget t2;
  t2.add_region(RemoteAddr(0x100000), data, "rw-p");
  EXPECT_FALSE(scan_for_debug_offsets(t2, std::span(&range, 1)));

  put_text(data, 0x1000, "xdebugpy");
  put64(data, 0x1008, 0x030d01f0);  // 3.13.1 final
  FakeTarget t3;
  t3.add_region(RemoteAddr(0x100000), data, "rw-p");
  auto hit = scan_for_debug_offsets(t3, std::span(&range, 1));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->addr, RemoteAddr(0x101000));
  VersionTriple v = split_version_hex(hit->version_hex);
  EXPECT_EQ(v.major, 3);
  EXPECT_EQ(v.minor, 13);
  EXPECT_EQ(v.micro, 1);
  EXPECT_TRUE(debug_offsets_version_at(t3, RemoteAddr(0x101000)));
  EXPECT_FALSE(debug_offsets_version_at(t3, RemoteAddr(0x100100)));
}

TEST(PythonScans, SkipUnreadablePagesAndStopAtTheBudget) {
  FakeTarget t;
  Bytes a(0x2000), b(0x2000);
  put_text(b, 0x1800, "xdebugpy");
  put64(b, 0x1808, 0x030e00f0);
  t.add_region(RemoteAddr(0x200000), a, "rw-p");
  t.add_region(RemoteAddr(0x202000), Bytes(0x2000), "---p");  // a guard hole
  t.add_region(RemoteAddr(0x204000), b, "rw-p");
  ScanRange range{RemoteAddr(0x200000), 0x6000};
  auto hit = scan_for_debug_offsets(t, std::span(&range, 1));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->addr, RemoteAddr(0x205800));
  ScanLimits small;
  small.max_bytes = 0x3000;
  EXPECT_FALSE(scan_for_debug_offsets(t, std::span(&range, 1), small));
  // A range that wraps the address space is refused, not read.
  ScanRange wrap{RemoteAddr(~uint64_t{0} - 0x10), 0x100};
  EXPECT_FALSE(scan_for_debug_offsets(t, std::span(&wrap, 1)));
}

TEST(PythonRuntimeScan, FindsTheHeadMainPairPastDecoys) {
  const PythonLayout& l = L311();
  FakeTarget t;
  t.add_region(RemoteAddr(kHeap), heap(2));
  // Module data: decoys first (a pointer to the interpreter's neighbour, an
  // unmapped pointer, a lone pointer to the interpreter), then the runtime.
  Bytes data(0x2000);
  put64(data, 0x10, kInterp + 0x40);
  put64(data, 0x18, 0xdead0000);
  put64(data, 0x100, kInterp);  // validates, but is not followed by the same pointer
  uint64_t runtime = 0x300000 + 0x800;
  put64(data, 0x800 + l.runtime_interpreters_head.offset, kInterp);
  put64(data, 0x800 + l.runtime_interpreters_head.offset + 8, kInterp);  // interpreters.main
  t.add_region(RemoteAddr(0x300000), data, "rw-p", "/usr/lib/libpython3.11.so.1.0", 0x1000);
  ScanRange range{RemoteAddr(0x300000), data.size()};
  auto hit = scan_for_runtime(t, t.maps(), l, std::span(&range, 1), 2);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->runtime, RemoteAddr(runtime));
  EXPECT_EQ(hit->interp, RemoteAddr(kInterp));
  EXPECT_EQ(hit->back_references, 2);
  // Asking for more back-references than there are threads: the list ended,
  // so only a minimum of 1 accepts it.
  FakeTarget one;
  one.add_region(RemoteAddr(kHeap), heap(1));
  one.add_region(RemoteAddr(0x300000), data, "rw-p");
  EXPECT_FALSE(scan_for_runtime(one, one.maps(), l, std::span(&range, 1), 2));
  EXPECT_TRUE(scan_for_runtime(one, one.maps(), l, std::span(&range, 1), 1));
}

TEST(PythonRuntimeScan, CandidateCapBoundsTheWork) {
  const PythonLayout& l = L311();
  FakeTarget t;
  // A heap full of pointers into itself, none an interpreter.
  Bytes h(0x10000);
  for (uint64_t off = 0; off + 8 <= h.size(); off += 8) put64(h, off, kHeap + off);
  t.add_region(RemoteAddr(kHeap), h);
  ScanRange range{RemoteAddr(kHeap), h.size()};
  ScanLimits limits;
  limits.max_candidates = 100;
  size_t before = t.read_calls();
  EXPECT_FALSE(scan_for_runtime(t, t.maps(), l, std::span(&range, 1), 1, limits));
  EXPECT_LT(t.read_calls() - before, 400u);
}

TEST(PythonVersionText, ParsesOnlyWellFormedVersions) {
  auto v = parse_version_prefix("3.11.7 (main, Jan 1 2024)", " (");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->minor, 11);
  EXPECT_EQ(v->micro, 7);
  EXPECT_TRUE(parse_version_prefix("3.13.0rc2 (", " ("));
  EXPECT_TRUE(parse_version_prefix("3.14.0a1+ (", " ("));
  EXPECT_FALSE(parse_version_prefix("3.11 (", " ("));
  EXPECT_FALSE(parse_version_prefix("3.11.7(", " ("));
  EXPECT_FALSE(parse_version_prefix("3.1111.7 (", " ("));
  EXPECT_FALSE(parse_version_prefix("1.2.3 (", " ("));
  EXPECT_FALSE(parse_version_prefix("3.11.", " ("));
  EXPECT_FALSE(parse_version_prefix("", " ("));
}

TEST(PythonVersionText, FindsTailMergedPyVersionInReadOnlyData) {
  using namespace std::string_literals;
  // PY_VERSION tail-merged into a build path, twice as a whole string, and
  // near-misses that must not count.
  std::string ro =
      "\0/tmp/build/Python-3.10.13\0"
      "13.10.5\0"
      "3.10.77x\0"
      "3.10.13\0"
      "3.10.13\0"
      "3.10.99\0"s;
  Bytes b(ro.size());
  std::memcpy(b.data(), ro.data(), ro.size());
  auto v = find_version_in_bytes(b, 3, 10);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->micro, 13);
  EXPECT_FALSE(find_version_in_bytes(b, 3, 9));
  // Without a minor, two different minors are ambiguous.
  std::string two =
      "\0"
      "3.11.2\0"
      "3.2.0\0"s;
  Bytes c(two.size());
  std::memcpy(c.data(), two.data(), two.size());
  EXPECT_FALSE(find_version_in_bytes(c, 3, -1));
  EXPECT_TRUE(find_version_in_bytes(c, 3, 11));
}

TEST(PythonModules, MatchesInterpreterNamesOnly) {
  auto map = [](std::string path) {
    MemoryMap m;
    m.start = RemoteAddr(0x1000);
    m.end = RemoteAddr(0x2000);
    m.path = std::move(path);
    return m;
  };
  std::vector<MemoryMap> maps = {
      map("/usr/bin/python3.11"),      map("/usr/lib/libpython3.11.so.1.0"),
      map("/usr/lib/python3.11/x.so"), map("/usr/bin/pythonista"),
      map("/usr/lib/libpythonfoo.so"), map("/opt/libpython3.6m.so.1.0"),
      map("/usr/bin/python3.13t"),     map("/usr/bin/app"),
  };
  auto mods = find_python_modules(maps, "/usr/bin/app");
  ASSERT_EQ(mods.size(), 5u);
  EXPECT_EQ(mods[0].path, "/usr/lib/libpython3.11.so.1.0");  // libraries first
  EXPECT_EQ(mods[1].path, "/opt/libpython3.6m.so.1.0");
  EXPECT_EQ(mods[1].name_minor, 6);
  EXPECT_EQ(mods[2].path, "/usr/bin/python3.11");
  EXPECT_EQ(mods[3].path, "/usr/bin/python3.13t");
  EXPECT_EQ(mods[4].path, "/usr/bin/app");
  EXPECT_FALSE(mods[4].named_python);
}

TEST(PythonLocate, NotAPythonProcess) {
  FakeTarget t;
  t.add_region(RemoteAddr(0x400000), Bytes(0x1000), "r-xp", "/usr/bin/sleep");
  t.set_exe_path("/usr/bin/sleep");
  auto r = locate_python(t);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(r.error().message, "not a Python process");
  FakeTarget empty;
  EXPECT_FALSE(locate_python(empty));
}

// A libpython whose file is gone: everything comes from memory.
TEST(PythonLocate, WithoutTheElfFileByScans) {
  const PythonLayout& l = L311();
  FakeTarget t;
  t.add_region(RemoteAddr(kHeap), heap(3));
  const std::string lib = "/nonexistent/libpython3.11.so.1.0";
  t.add_region(RemoteAddr(0x7f0000000000), Bytes(0x1000), "r--p", lib, 0);
  Bytes data(0x3000);
  uint64_t runtime = 0x7f0000001000 + 0x400;
  put64(data, 0x400 + l.runtime_interpreters_head.offset, kInterp);
  put64(data, 0x400 + l.runtime_interpreters_head.offset + 8, kInterp);
  put_text(data, 0x2001, "3.11.4 (main, Jun  6 2023, 22:16:46) [GCC 12.2.0]");
  t.add_region(RemoteAddr(0x7f0000001000), data, "rw-p", lib, 0x1000);
  auto r = locate_python(t);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->minor, 11);
  EXPECT_EQ(r->micro, 4);
  EXPECT_EQ(r->version_source, "version string (sys.version buffer)");
  EXPECT_EQ(r->runtime, RemoteAddr(runtime));
  EXPECT_EQ(r->runtime_source, "bss scan");
  EXPECT_EQ(r->interp_head, RemoteAddr(kInterp));
  EXPECT_EQ(r->layout, &l);
  EXPECT_EQ(r->module, lib);
  EXPECT_FALSE(r->notes.empty());  // the missing file is noted

  // Same memory, but no interpreter anywhere: a clear not-found, bounded.
  FakeTarget broken;
  broken.add_region(RemoteAddr(0x7f0000000000), Bytes(0x1000), "r--p", lib, 0);
  broken.add_region(RemoteAddr(0x7f0000001000), data, "rw-p", lib, 0x1000);
  auto e = locate_python(broken);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(e.error().message.find("no valid interpreter state"), std::string::npos)
      << e.error().message;
}

// 2.7 has a table (an interpreter must then be found); older Pythons are refused.
TEST(PythonLocate, Python26IsUnsupported) {
  FakeTarget t;
  const std::string lib = "/nonexistent/libpython2.6.so.1.0";
  t.add_region(RemoteAddr(0x7f0000000000), Bytes(0x1000), "r--p", lib, 0);
  Bytes data(0x1000);
  put_text(data, 0x101, "2.6.9 (default, Oct 29 2013, 00:00:00)");
  t.add_region(RemoteAddr(0x7f0000001000), data, "rw-p", lib, 0x1000);
  auto r = locate_python(t);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kUnsupported);
  EXPECT_NE(r.error().message.find("Python 2.6"), std::string::npos) << r.error().message;
}

TEST(PythonLocate, Python27WithoutInterpreterIsNotFound) {
  FakeTarget t;
  const std::string lib = "/nonexistent/libpython2.7.so.1.0";
  t.add_region(RemoteAddr(0x7f0000000000), Bytes(0x1000), "r--p", lib, 0);
  Bytes data(0x1000);
  put_text(data, 0x101, "2.7.18 (default, Apr 20 2020, 00:00:00)");
  t.add_region(RemoteAddr(0x7f0000001000), data, "rw-p", lib, 0x1000);
  auto r = locate_python(t);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(r.error().message.find("no valid interpreter state"), std::string::npos)
      << r.error().message;
}

}  // namespace
}  // namespace corostack::python
