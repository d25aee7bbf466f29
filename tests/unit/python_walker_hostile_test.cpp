// walk_python over hand-built CPython memory in a FakeTarget, laid out through
// the real layout tables of 3.9 (PyFrameObject lists), 3.11 (is_entry),
// 3.12 (cframe + shim frames) and 3.13 (current_frame + shim frames): a sane
// stack, then hostile ones (cycles in every list, garbage code objects, huge
// strings, over-long chains, hostile locals). Every walk must come back
// quickly with a bounded, partial result and the right error.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string>
#include <vector>

#include "debug_offsets_image.hpp"
#include "python/code_cache.hpp"
#include "python/debug_offsets.hpp"
#include "python/python_versions.hpp"
#include "python/python_walker.hpp"
#include "python/remote_object.hpp"
#include "target/fake_target.hpp"

namespace corostack::python {
namespace {

constexpr uint64_t kBase = 0x10000000;
constexpr uint64_t kUnmapped = 0xdead0000;  // never mapped
constexpr uint64_t kOwnedByThread = 0;
constexpr uint64_t kOwnedByCStack = 3;  // 3.12-3.13 shim frames

// A bump allocator building CPython objects through a PythonLayout, then
// handing the bytes to a FakeTarget as one region starting at kBase.
class FakePython {
 public:
  explicit FakePython(const PythonLayout& l) : l_(l) {
    code_type = type("code");
    str_type = type("str");
    bytes_type = type("bytes");
    tuple_type = type("tuple");
    list_type = type("list");
    runtime = alloc(2048);
    gil = alloc(64);
  }

  const PythonLayout& layout() const { return l_; }
  bool frame_objects() const { return l_.tstate_frame.present(); }  // <=3.10
  bool has_shims() const { return !frame_objects() && !l_.iframe_is_entry.present(); }

  uint64_t alloc(size_t n) {
    size_t at = (buf_.size() + 15) & ~size_t{15};
    buf_.resize(at + n);
    return kBase + at;
  }
  uint64_t end() const { return kBase + buf_.size(); }
  template <typename T>
  void put(uint64_t addr, int64_t off, T v) {
    std::memcpy(buf_.data() + (addr - kBase + static_cast<uint64_t>(off)), &v, sizeof(T));
  }
  void put_bytes(uint64_t addr, int64_t off, const void* p, size_t n) {
    std::memcpy(buf_.data() + (addr - kBase + static_cast<uint64_t>(off)), p, n);
  }
  // Writes a pointer/integer field of the field's own size.
  void set(uint64_t obj, FieldLoc f, uint64_t v) {
    ASSERT_TRUE(f.present());
    put_bytes(obj, f.offset, &v, static_cast<size_t>(f.size));
  }
  uint64_t get(uint64_t obj, FieldLoc f) const {
    uint64_t v = 0;
    std::memcpy(&v, buf_.data() + (obj - kBase + static_cast<uint64_t>(f.offset)),
                static_cast<size_t>(f.size));
    return v;
  }
  void set_type_of(uint64_t obj, uint64_t t) { set(obj, l_.object_type, t); }

  uint64_t type(const std::string& name) {
    uint64_t t = alloc(512);
    uint64_t s = alloc(name.size() + 1);
    put_bytes(s, 0, name.c_str(), name.size() + 1);
    put<uint64_t>(t, l_.type_name.offset, s);
    return t;
  }
  // A compact ASCII str; `length` overrides the stored length.
  uint64_t str(const std::string& s, int64_t length = -1) {
    uint64_t data = static_cast<uint64_t>(l_.unicode_ascii_data.offset);
    uint64_t o = alloc(data + s.size() + 1);
    set_type_of(o, str_type);
    put<int64_t>(o, l_.unicode_length.offset,
                 length >= 0 ? length : static_cast<int64_t>(s.size()));
    uint32_t state = (1u << l_.unicode_state_kind.offset) |
                     (1u << l_.unicode_state_compact.offset) |
                     (1u << l_.unicode_state_ascii.offset);
    if (l_.unicode_state_ready.present()) state |= 1u << l_.unicode_state_ready.offset;
    put<uint32_t>(o, l_.unicode_state.offset, state);
    put_bytes(o, static_cast<int64_t>(data), s.data(), s.size());
    return o;
  }
  uint64_t bytes(const std::vector<uint8_t>& b, int64_t length = -1) {
    uint64_t o = alloc(static_cast<size_t>(l_.bytes_sval.offset) + b.size() + 1);
    set_type_of(o, bytes_type);
    put<int64_t>(o, l_.varobject_size.offset,
                 length >= 0 ? length : static_cast<int64_t>(b.size()));
    put_bytes(o, l_.bytes_sval.offset, b.data(), b.size());
    return o;
  }
  uint64_t tuple(const std::vector<uint64_t>& items) {
    uint64_t o = alloc(static_cast<size_t>(l_.tuple_item.offset) + 8 * items.size() + 8);
    set_type_of(o, tuple_type);
    put<int64_t>(o, l_.varobject_size.offset, static_cast<int64_t>(items.size()));
    for (size_t i = 0; i < items.size(); ++i)
      put<uint64_t>(o, l_.tuple_item.offset + static_cast<int64_t>(8 * i), items[i]);
    return o;
  }
  // A list of `n` slots, all null; fill with set_list_item.
  uint64_t list(size_t n, int64_t ob_size = -1) {
    uint64_t o = alloc(64);
    uint64_t arr = alloc(8 * n + 8);
    set_type_of(o, list_type);
    put<int64_t>(o, l_.varobject_size.offset, ob_size >= 0 ? ob_size : static_cast<int64_t>(n));
    put<uint64_t>(o, l_.list_item.offset, arr);
    return o;
  }
  void set_list_item(uint64_t list, size_t i, uint64_t item) {
    put<uint64_t>(get(list, l_.list_item), static_cast<int64_t>(8 * i), item);
  }

  struct CodeSpec {
    std::string name = "f";
    std::string qualname{};  // empty: same as name
    std::string file = "/app/main.py";
    int firstlineno = 10;
    std::vector<uint8_t> table{};  // line table bytes, version's format
    std::vector<std::string> locals{};
    int argcount = 0;
    uint64_t name_obj = 0;   // overrides `name` when set
    uint64_t file_obj = 0;   // overrides `file` when set
    uint64_t table_obj = 0;  // overrides `table` when set
  };
  uint64_t code(const CodeSpec& s) {
    uint64_t name = s.name_obj ? s.name_obj : str(s.name);
    uint64_t file = s.file_obj ? s.file_obj : str(s.file);
    uint64_t table = s.table_obj ? s.table_obj : bytes(s.table);
    std::vector<uint64_t> names;
    for (const auto& n : s.locals) names.push_back(str(n));
    uint64_t names_tuple = tuple(names);
    uint64_t kinds = bytes(std::vector<uint8_t>(s.locals.size(), 0x20));
    uint64_t qual = l_.code_qualname.present() ? str(s.qualname.empty() ? s.name : s.qualname) : 0;

    uint64_t c = alloc(1024);  // header + room for bytecode after co_code_adaptive
    set_type_of(c, code_type);
    set(c, l_.code_name, name);
    set(c, l_.code_filename, file);
    if (qual) set(c, l_.code_qualname, qual);
    set(c, l_.code_firstlineno, static_cast<uint64_t>(s.firstlineno));
    set(c, l_.code_argcount, static_cast<uint64_t>(s.argcount));
    set(c, l_.code_nlocals, s.locals.size());
    set(c, l_.code_linetable.present() ? l_.code_linetable : l_.code_lnotab, table);
    if (l_.code_localsplusnames.present()) {
      set(c, l_.code_localsplusnames, names_tuple);
      set(c, l_.code_localspluskinds, kinds);
      set(c, l_.code_nlocalsplus, s.locals.size());
    } else {
      set(c, l_.code_varnames, names_tuple);
    }
    return c;
  }

  // One frame of `code`, currently at code unit `unit`, with `nlocals`
  // localsplus slots (filled with set_local). `previous` is its caller.
  uint64_t frame(uint64_t code, uint64_t unit, uint64_t previous, size_t nlocals = 0,
                 uint64_t owner = kOwnedByThread) {
    if (frame_objects()) {
      uint64_t f = alloc(static_cast<size_t>(l_.frame_localsplus.offset) + 8 * nlocals + 64);
      set(f, l_.frame_code, code);
      set(f, l_.frame_back, previous);
      // f_lasti: a byte offset before 3.10, an instruction index in 3.10.
      set(f, l_.frame_lasti, l_.minor <= 9 ? 2 * unit : unit);
      return f;
    }
    uint64_t f = alloc(static_cast<size_t>(l_.iframe_localsplus.offset) + 8 * nlocals + 64);
    set(f, l_.iframe_code, code);
    set(f, l_.iframe_previous, previous);
    set(f, l_.iframe_owner, owner);
    uint64_t start = code + static_cast<uint64_t>(l_.code_code_adaptive.offset);
    set(f, l_.iframe_prev_instr.present() ? l_.iframe_prev_instr : l_.iframe_instr_ptr,
        start + 2 * unit);
    return f;
  }
  void set_previous(uint64_t f, uint64_t previous) {
    set(f, frame_objects() ? l_.frame_back : l_.iframe_previous, previous);
  }
  void set_local(uint64_t f, size_t i, uint64_t obj) {
    auto off = frame_objects() ? l_.frame_localsplus.offset : l_.iframe_localsplus.offset;
    put<uint64_t>(f, off + static_cast<int64_t>(8 * i), obj);
  }
  // The frames of one eval-loop call, outermost first in `codes`; returns the
  // innermost. On 3.11 the outermost is marked is_entry; on 3.12+ a shim frame
  // (owned by the C stack) sits below it, as CPython pushes one per call.
  uint64_t chain(const std::vector<uint64_t>& codes, uint64_t unit, uint64_t previous = 0) {
    uint64_t prev = previous;
    if (has_shims()) prev = frame(0, 0, prev, 0, kOwnedByCStack);
    for (size_t i = 0; i < codes.size(); ++i) {
      prev = frame(codes[i], unit, prev);
      if (i == 0 && l_.iframe_is_entry.present()) set(prev, l_.iframe_is_entry, 1);
    }
    return prev;
  }

  uint64_t interp() { return alloc(8192); }  // 3.13's PyInterpreterState is ~7.7 KiB
  uint64_t tstate(uint64_t interp, uint64_t thread_id, uint64_t innermost_frame) {
    uint64_t t = alloc(512);
    set(t, l_.tstate_interp, interp);
    set(t, l_.tstate_thread_id, thread_id);
    if (l_.tstate_native_thread_id.present()) set(t, l_.tstate_native_thread_id, thread_id + 1);
    if (l_.tstate_frame.present()) {
      set(t, l_.tstate_frame, innermost_frame);
    } else if (l_.tstate_current_frame.present()) {
      set(t, l_.tstate_current_frame, innermost_frame);
    } else {
      uint64_t cframe = alloc(64);
      set(cframe, l_.cframe_current_frame, innermost_frame);
      set(t, l_.tstate_cframe, cframe);
    }
    return t;
  }
  // Links thread states into the interpreter's list, in order.
  void threads(uint64_t interp, const std::vector<uint64_t>& ts) {
    set(interp, l_.interp_threads_head, ts.empty() ? 0 : ts[0]);
    for (size_t i = 0; i + 1 < ts.size(); ++i) set(ts[i], l_.tstate_next, ts[i + 1]);
  }
  void hold_gil(uint64_t interp, uint64_t tstate) {
    uint64_t g = gil;
    if (l_.runtime_gil.present()) {
      g = runtime + static_cast<uint64_t>(l_.runtime_gil.offset);
    } else {
      set(interp, l_.interp_ceval_gil, gil);
    }
    set(g, l_.gil_locked, 1);
    set(g, l_.gil_last_holder, tstate);
  }

  // Maps the memory into `fake` and returns the runtime a locator would find.
  PythonRuntime finish(FakeTarget& fake, uint64_t interp_head) {
    if (l_.runtime_interpreters_head.present())
      set(runtime, l_.runtime_interpreters_head, interp_head);
    fake.add_region(RemoteAddr(kBase), buf_);
    PythonRuntime rt;
    rt.major = l_.major;
    rt.minor = l_.minor;
    rt.layout = &l_;
    rt.runtime = RemoteAddr(runtime);
    rt.interp_head = RemoteAddr(interp_head);
    return rt;
  }

  uint64_t code_type = 0, str_type = 0, bytes_type = 0, tuple_type = 0, list_type = 0;
  uint64_t runtime = 0, gil = 0;

 private:
  const PythonLayout& l_;
  std::vector<std::byte> buf_;
};

// A line table for `format` mapping code units [0, 4) to firstlineno and
// [4, 8) to firstlineno + 3 (for 3.9's lnotab, everything from unit 4 on).
std::vector<uint8_t> two_line_table(const PythonLayout& l) {
  if (l.minor <= 9) return {8, 3};  // lnotab: from byte offset 8, line += 3
  if (l.minor == 10) return {8, 0, 8, 3};
  // PEP 657: code 13 (no column), length 4, svarint line delta (0, then +3).
  return {0x80 | (13 << 3) | 3, 0x00, 0x80 | (13 << 3) | 3, 0x06};
}

// Runs the walk on another thread; a walk that does not finish in 20 s is a
// hang, reported loudly instead of stalling the suite.
PyProcess walk_bounded(const FakeTarget& fake, const PythonRuntime& rt,
                       const PyWalkOptions& opt = {}) {
  auto start = std::chrono::steady_clock::now();
  auto fut = std::async(std::launch::async, [&] { return walk_python(fake, rt, opt); });
  if (fut.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    std::fprintf(stderr, "walk_python did not finish within 20 s: unbounded walk\n");
    std::abort();
  }
  PyProcess p = fut.get();
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(5)) << "walk is too slow for its input";
  return p;
}

bool has_error(const std::vector<std::string>& errors, const std::string& part) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const std::string& e) { return e.find(part) != std::string::npos; });
}

std::string joined(const std::vector<std::string>& errors) {
  std::string s;
  for (const auto& e : errors) s += "[" + e + "] ";
  return s;
}

class PythonWalkerHostile : public ::testing::TestWithParam<PythonVersion> {
 protected:
  const PythonLayout& layout() {
    const PythonLayout* l = layout_for(GetParam().major, GetParam().minor);
    EXPECT_NE(l, nullptr);
    return *l;
  }
};

TEST_P(PythonWalkerHostile, SaneChainInnermostFirst) {
  FakePython py(layout());
  auto table = two_line_table(py.layout());
  uint64_t outer = py.code({.name = "main", .file = "/app/main.py", .firstlineno = 1});
  uint64_t middle = py.code({.name = "run",
                             .qualname = "Server.run",
                             .file = "/app/server.py",
                             .firstlineno = 20,
                             .table = table});
  uint64_t inner =
      py.code({.name = "handle", .file = "/app/handler.py", .firstlineno = 100, .table = table});
  uint64_t interp = py.interp();
  // Unit 5 lies in the table's second range: line firstlineno + 3.
  uint64_t top = py.chain({outer, middle, inner}, 5);
  uint64_t ts = py.tstate(interp, 0x7001, top);
  py.threads(interp, {ts});
  py.hold_gil(interp, ts);
  FakeTarget fake;
  auto rt = py.finish(fake, interp);

  PyProcess p = walk_bounded(fake, rt);
  EXPECT_TRUE(p.errors.empty()) << joined(p.errors);
  ASSERT_EQ(p.threads.size(), 1u);
  const PyThread& t = p.threads[0];
  EXPECT_TRUE(t.errors.empty()) << joined(t.errors);
  EXPECT_EQ(t.thread_id, 0x7001u);
  EXPECT_TRUE(t.holds_gil);
  EXPECT_TRUE(p.gil_known);
  EXPECT_EQ(p.code_objects, 3u);
  ASSERT_EQ(t.frames.size(), 3u);
  EXPECT_EQ(t.frames[0].name, "handle");
  EXPECT_EQ(t.frames[0].function, "handle");
  EXPECT_EQ(t.frames[0].filename, "/app/handler.py");
  EXPECT_EQ(t.frames[0].line, 103);
  EXPECT_EQ(t.frames[1].name, "run");
  EXPECT_EQ(t.frames[1].function, py.layout().code_qualname.present() ? "Server.run" : "run");
  EXPECT_EQ(t.frames[1].filename, "/app/server.py");
  EXPECT_EQ(t.frames[1].line, 23);
  EXPECT_EQ(t.frames[2].name, "main");
  EXPECT_EQ(t.frames[2].filename, "/app/main.py");
  // Empty table: 3.9's lnotab keeps firstlineno, later formats know no line.
  EXPECT_EQ(t.frames[2].line, py.layout().minor <= 9 ? 1 : 0);
  EXPECT_TRUE(t.frames[2].entry);
  if (!py.frame_objects()) {
    // One eval-loop call: only its outermost frame is an entry.
    EXPECT_FALSE(t.frames[0].entry);
    EXPECT_FALSE(t.frames[1].entry);
  }
}

TEST_P(PythonWalkerHostile, TwoEvalCallsMarkEntries) {
  FakePython py(layout());
  if (py.frame_objects()) GTEST_SKIP() << "every PyFrameObject is its own eval call";
  uint64_t a = py.code({.name = "a"});
  uint64_t b = py.code({.name = "b"});
  uint64_t c = py.code({.name = "c"});
  uint64_t interp = py.interp();
  uint64_t lower = py.chain({a, b}, 1);
  uint64_t top = py.chain({c}, 1, lower);
  uint64_t ts = py.tstate(interp, 1, top);
  py.threads(interp, {ts});
  FakeTarget fake;
  auto rt = py.finish(fake, interp);

  PyProcess p = walk_bounded(fake, rt);
  ASSERT_EQ(p.threads.size(), 1u);
  const auto& f = p.threads[0].frames;
  ASSERT_EQ(f.size(), 3u) << joined(p.threads[0].errors);
  EXPECT_EQ(f[0].name, "c");
  EXPECT_TRUE(f[0].entry);
  EXPECT_EQ(f[1].name, "b");
  EXPECT_FALSE(f[1].entry);
  EXPECT_EQ(f[2].name, "a");
  EXPECT_TRUE(f[2].entry);
}

TEST_P(PythonWalkerHostile, CyclicFrameList) {
  FakePython py(layout());
  uint64_t ca = py.code({.name = "a"});
  uint64_t cb = py.code({.name = "b"});
  uint64_t interp = py.interp();
  uint64_t fa = py.frame(ca, 1, 0);
  uint64_t fb = py.frame(cb, 1, fa);
  py.set_previous(fa, fb);  // a -> b -> a
  uint64_t ts = py.tstate(interp, 1, fb);
  py.threads(interp, {ts});
  FakeTarget fake;
  auto rt = py.finish(fake, interp);

  PyProcess p = walk_bounded(fake, rt);
  ASSERT_EQ(p.threads.size(), 1u);
  const PyThread& t = p.threads[0];
  EXPECT_TRUE(has_error(t.errors, "cycle")) << joined(t.errors);
  ASSERT_EQ(t.frames.size(), 2u);
  EXPECT_EQ(t.frames[0].name, "b");
  EXPECT_EQ(t.frames[1].name, "a");
}

TEST_P(PythonWalkerHostile, SelfLoopFrame) {
  FakePython py(layout());
  uint64_t c = py.code({.name = "loop"});
  uint64_t interp = py.interp();
  uint64_t f = py.frame(c, 1, 0);
  py.set_previous(f, f);
  uint64_t ts = py.tstate(interp, 1, f);
  py.threads(interp, {ts});
  FakeTarget fake;
  auto rt = py.finish(fake, interp);

  PyProcess p = walk_bounded(fake, rt);
  ASSERT_EQ(p.threads.size(), 1u);
  EXPECT_TRUE(has_error(p.threads[0].errors, "cycle")) << joined(p.threads[0].errors);
  EXPECT_EQ(p.threads[0].frames.size(), 1u);
}

TEST_P(PythonWalkerHostile, CyclicThreadList) {
  FakePython py(layout());
  uint64_t c = py.code({.name = "worker"});
  uint64_t interp = py.interp();
  std::vector<uint64_t> ts;
  for (uint64_t i = 0; i < 3; ++i) ts.push_back(py.tstate(interp, 100 + i, py.chain({c}, 1)));
  py.threads(interp, ts);
  py.set(ts[2], py.layout().tstate_next, ts[0]);  // 0 -> 1 -> 2 -> 0
  FakeTarget fake;
  auto rt = py.finish(fake, interp);

  PyProcess p = walk_bounded(fake, rt);
  EXPECT_TRUE(has_error(p.errors, "thread list has a cycle")) << joined(p.errors);
  ASSERT_EQ(p.threads.size(), 3u);
  for (const auto& t : p.threads) {
    EXPECT_TRUE(t.errors.empty()) << joined(t.errors);
    ASSERT_EQ(t.frames.size(), 1u);
    EXPECT_EQ(t.frames[0].name, "worker");
  }
}

TEST_P(PythonWalkerHostile, CyclicInterpreterList) {
  FakePython py(layout());
  uint64_t c = py.code({.name = "sub"});
  uint64_t i1 = py.interp();
  uint64_t i2 = py.interp();
  uint64_t t1 = py.tstate(i1, 1, py.chain({c}, 1));
  uint64_t t2 = py.tstate(i2, 2, py.chain({c}, 1));
  py.threads(i1, {t1});
  py.threads(i2, {t2});
  py.set(i1, py.layout().interp_next, i2);
  py.set(i2, py.layout().interp_next, i1);
  FakeTarget fake;
  auto rt = py.finish(fake, i1);

  PyProcess p = walk_bounded(fake, rt);
  EXPECT_TRUE(has_error(p.errors, "interpreter list has a cycle")) << joined(p.errors);
  ASSERT_EQ(p.threads.size(), 2u);
  EXPECT_EQ(p.threads[0].thread_id, 1u);
  EXPECT_EQ(p.threads[1].thread_id, 2u);
  EXPECT_EQ(p.code_objects, 1u);  // shared by both threads, read once
}

TEST_P(PythonWalkerHostile, ManyInterpretersCapped) {
  FakePython py(layout());
  std::vector<uint64_t> interps;
  for (int i = 0; i < 100; ++i) interps.push_back(py.interp());
  for (size_t i = 0; i + 1 < interps.size(); ++i)
    py.set(interps[i], py.layout().interp_next, interps[i + 1]);
  FakeTarget fake;
  auto rt = py.finish(fake, interps[0]);

  PyProcess p = walk_bounded(fake, rt);
  EXPECT_TRUE(has_error(p.errors, "more than")) << joined(p.errors);
  EXPECT_TRUE(p.threads.empty());
}

TEST_P(PythonWalkerHostile, ManyThreadsCapped) {
  FakePython py(layout());
  uint64_t c = py.code({.name = "w"});
  uint64_t interp = py.interp();
  std::vector<uint64_t> ts;
  for (uint64_t i = 0; i < 50; ++i) ts.push_back(py.tstate(interp, i + 1, py.chain({c}, 1)));
  py.threads(interp, ts);
  FakeTarget fake;
  auto rt = py.finish(fake, interp);

  PyWalkOptions opt;
  opt.max_threads = 10;
  PyProcess p = walk_bounded(fake, rt, opt);
  EXPECT_TRUE(has_error(p.errors, "more than 10 Python threads")) << joined(p.errors);
  EXPECT_EQ(p.threads.size(), 10u);
}

TEST_P(PythonWalkerHostile, GarbageCodeObjectsOnlyHurtTheirThread) {
  FakePython py(layout());
  uint64_t good = py.code({.name = "good", .file = "/app/good.py"});
  uint64_t not_code = py.str("I am a str, not a code object");
  uint64_t random = py.alloc(1024);
  {
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int64_t off = 0; off < 1024; off += 8) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      py.put<uint64_t>(random, off, x);
    }
  }
  uint64_t interp = py.interp();
  std::vector<uint64_t> ts;
  ts.push_back(py.tstate(interp, 1, py.chain({good, good}, 1)));
  ts.push_back(py.tstate(interp, 2, py.chain({kUnmapped}, 1)));
  ts.push_back(py.tstate(interp, 3, py.chain({good}, 1)));
  ts.push_back(py.tstate(interp, 4, py.chain({not_code}, 1)));
  ts.push_back(py.tstate(interp, 5, py.chain({random}, 1)));
  // A bad frame in the middle: the frames above it are kept.
  ts.push_back(py.tstate(interp, 6, py.chain({good, not_code, good}, 1)));
  // A null code pointer.
  ts.push_back(py.tstate(interp, 7, py.chain({0}, 1)));
  py.threads(interp, ts);
  FakeTarget fake;
  auto rt = py.finish(fake, interp);

  PyProcess p = walk_bounded(fake, rt);
  EXPECT_TRUE(p.errors.empty()) << joined(p.errors);
  ASSERT_EQ(p.threads.size(), 7u);
  auto ok = [&](size_t i, size_t frames) {
    SCOPED_TRACE("thread " + std::to_string(i + 1));
    EXPECT_TRUE(p.threads[i].errors.empty()) << joined(p.threads[i].errors);
    ASSERT_EQ(p.threads[i].frames.size(), frames);
    for (const auto& f : p.threads[i].frames) EXPECT_EQ(f.name, "good");
  };
  auto bad = [&](size_t i, size_t frames, const std::string& error) {
    SCOPED_TRACE("thread " + std::to_string(i + 1));
    EXPECT_TRUE(has_error(p.threads[i].errors, error)) << joined(p.threads[i].errors);
    EXPECT_EQ(p.threads[i].frames.size(), frames);
  };
  ok(0, 2);
  bad(1, 0, "code object unreadable");
  ok(2, 1);
  bad(3, 0, "not a code object");
  bad(4, 0, "");  // random bytes: some error, nothing invented
  bad(5, 1, "not a code object");
  EXPECT_EQ(p.threads[5].frames[0].name, "good");
  bad(6, 0, "without a code object");
}

TEST_P(PythonWalkerHostile, UnreadableThreadAndFramePointers) {
  FakePython py(layout());
  uint64_t good = py.code({.name = "good"});
  uint64_t interp = py.interp();
  uint64_t t1 = py.tstate(interp, 1, py.chain({good}, 1));
  uint64_t t2 = py.tstate(interp, 2, kUnmapped);  // current frame unmapped
  uint64_t t3 = py.tstate(interp, 3, py.chain({good}, 1));
  py.threads(interp, {t1, t2, t3});
  py.set(t3, py.layout().tstate_next, kUnmapped);  // thread list runs into unmapped memory
  FakeTarget fake;
  auto rt = py.finish(fake, interp);

  PyProcess p = walk_bounded(fake, rt);
  ASSERT_GE(p.threads.size(), 3u);
  EXPECT_EQ(p.threads[0].frames.size(), 1u);
  EXPECT_FALSE(p.threads[1].errors.empty());
  EXPECT_TRUE(p.threads[1].frames.empty());
  EXPECT_EQ(p.threads[2].frames.size(), 1u);
  // The unmapped fourth thread state: reported, with no frames.
  ASSERT_EQ(p.threads.size(), 4u);
  EXPECT_TRUE(has_error(p.threads[3].errors, "thread state unreadable"))
      << joined(p.threads[3].errors);
  EXPECT_TRUE(p.threads[3].frames.empty());
}

TEST_P(PythonWalkerHostile, HugeStrNamesAreCapped) {
  FakePython py(layout());
  const size_t kMega = 1'000'000;
  uint64_t big_name = py.str(std::string(kMega, 'n'));
  // Length says 2^40 code points; the data that exists is garbage-free
  // but far shorter: the read is capped, never sized by the length field.
  uint64_t lying = py.str(std::string(4096, 'f'), int64_t{1} << 40);
  uint64_t negative = py.str("neg", -1);
  py.put<int64_t>(negative, py.layout().unicode_length.offset, -5);
  uint64_t huge_table = py.bytes({1, 2, 3, 4}, int64_t{1} << 40);
  uint64_t c1 = py.code({.name_obj = big_name, .file_obj = lying});
  uint64_t c2 = py.code({.name_obj = negative});
  uint64_t c3 = py.code({.name = "t", .table_obj = huge_table});
  uint64_t interp = py.interp();
  uint64_t t1 = py.tstate(interp, 1, py.chain({c1}, 1));
  uint64_t t2 = py.tstate(interp, 2, py.chain({c2}, 1));
  uint64_t t3 = py.tstate(interp, 3, py.chain({c3}, 1));
  // Last allocation: a str whose huge length runs off the end of mapped memory.
  uint64_t c4 = py.code({.name = "cut"});
  uint64_t t4 = py.tstate(interp, 4, py.chain({c4}, 1));
  py.threads(interp, {t1, t2, t3, t4});
  uint64_t at_end = py.str("x", int64_t{1} << 40);
  py.set(c4, py.layout().code_filename, at_end);
  FakeTarget fake;
  auto rt = py.finish(fake, interp);
  // Fewer than max_name bytes of data are mapped after its header.
  ASSERT_GT(
      at_end + static_cast<uint64_t>(py.layout().unicode_ascii_data.offset) + CodeLimits{}.max_name,
      py.end());

  PyProcess p = walk_bounded(fake, rt);
  ASSERT_EQ(p.threads.size(), 4u);
  {
    const PyThread& t = p.threads[0];
    ASSERT_EQ(t.frames.size(), 1u) << joined(t.errors);
    // Cut at max_name code points, and the cut is visible: "…" (3 bytes).
    EXPECT_EQ(t.frames[0].name, std::string(CodeLimits{}.max_name, 'n') + "\u2026");
    EXPECT_LE(t.frames[0].function.size(), CodeLimits{}.max_name + 3);
    EXPECT_EQ(t.frames[0].filename, std::string(CodeLimits{}.max_name, 'f') + "\u2026");
  }
  {
    const PyThread& t = p.threads[1];
    EXPECT_TRUE(t.frames.empty());
    EXPECT_TRUE(has_error(t.errors, "co_name")) << joined(t.errors);
  }
  {
    // An impossible line table costs the line, not the frame.
    const PyThread& t = p.threads[2];
    ASSERT_EQ(t.frames.size(), 1u) << joined(t.errors);
    EXPECT_EQ(t.frames[0].name, "t");
  }
  {
    const PyThread& t = p.threads[3];
    EXPECT_TRUE(t.frames.empty());
    EXPECT_TRUE(has_error(t.errors, "co_filename")) << joined(t.errors);
  }
}

TEST_P(PythonWalkerHostile, LongChainStopsAtMaxFrames) {
  FakePython py(layout());
  uint64_t c = py.code({.name = "recurse"});
  uint64_t interp = py.interp();
  uint64_t top = 0;
  for (int i = 0; i < 1000; ++i) top = py.frame(c, 1, top);
  uint64_t ts = py.tstate(interp, 1, top);
  py.threads(interp, {ts});
  FakeTarget fake;
  auto rt = py.finish(fake, interp);

  PyWalkOptions opt;
  opt.max_frames = 100;
  PyProcess p = walk_bounded(fake, rt, opt);
  ASSERT_EQ(p.threads.size(), 1u);
  const PyThread& t = p.threads[0];
  EXPECT_TRUE(has_error(t.errors, "more than 100 frames")) << joined(t.errors);
  EXPECT_EQ(t.frames.size(), 100u);
  EXPECT_EQ(p.code_objects, 1u);
}

TEST_P(PythonWalkerHostile, ShimFramesCountTowardsMaxFrames) {
  FakePython py(layout());
  if (!py.has_shims()) GTEST_SKIP() << "no shim frames in this version";
  uint64_t interp = py.interp();
  uint64_t top = 0;
  for (int i = 0; i < 1000; ++i) top = py.frame(0, 0, top, 0, kOwnedByCStack);
  uint64_t ts = py.tstate(interp, 1, top);
  py.threads(interp, {ts});
  FakeTarget fake;
  auto rt = py.finish(fake, interp);

  PyWalkOptions opt;
  opt.max_frames = 100;
  PyProcess p = walk_bounded(fake, rt, opt);
  ASSERT_EQ(p.threads.size(), 1u);
  EXPECT_TRUE(has_error(p.threads[0].errors, "more than")) << joined(p.threads[0].errors);
  EXPECT_TRUE(p.threads[0].frames.empty());
}

TEST_P(PythonWalkerHostile, HostileLocalsHaveBoundedReprs) {
  FakePython py(layout());
  uint64_t c = py.code({.name = "f", .locals = {"big", "loop", "unbound", "liar"}, .argcount = 1});
  uint64_t big = py.str(std::string(1'000'000, 'a'));
  uint64_t loop = py.list(1);
  py.set_list_item(loop, 0, loop);               // loop = [loop]
  uint64_t liar = py.list(2, int64_t{1} << 40);  // ob_size says 2^40 items
  py.set_list_item(liar, 0, liar);
  py.set_list_item(liar, 1, big);
  uint64_t interp = py.interp();
  uint64_t f = py.frame(c, 1, 0, 4);
  if (py.has_shims()) py.set_previous(f, py.frame(0, 0, 0, 0, kOwnedByCStack));
  py.set_local(f, 0, big);
  py.set_local(f, 1, loop);
  py.set_local(f, 2, 0);
  py.set_local(f, 3, liar);
  uint64_t ts = py.tstate(interp, 1, f);
  py.threads(interp, {ts});
  FakeTarget fake;
  auto rt = py.finish(fake, interp);

  PyWalkOptions opt;
  opt.locals = true;
  PyProcess p = walk_bounded(fake, rt, opt);
  ASSERT_EQ(p.threads.size(), 1u);
  const PyThread& t = p.threads[0];
  ASSERT_EQ(t.frames.size(), 1u) << joined(t.errors);
  const auto& locals = t.frames[0].locals;
  ASSERT_EQ(locals.size(), 3u);  // `unbound` is skipped
  EXPECT_EQ(locals[0].name, "big");
  EXPECT_TRUE(locals[0].argument);
  EXPECT_EQ(locals[0].repr, "'" + std::string(opt.repr.max_string, 'a') + "'\u2026");
  EXPECT_EQ(locals[1].name, "loop");
  EXPECT_FALSE(locals[1].argument);
  EXPECT_EQ(locals[1].repr, "[[...]]");
  EXPECT_EQ(locals[2].name, "liar");
  EXPECT_LE(locals[2].repr.size(), opt.repr.max_output + 1024) << locals[2].repr;
  EXPECT_NE(locals[2].repr.find("[...]"), std::string::npos) << locals[2].repr;
}

TEST_P(PythonWalkerHostile, LocalsWithoutOptionAreNotRead) {
  FakePython py(layout());
  uint64_t c = py.code({.name = "f", .locals = {"x"}});
  uint64_t interp = py.interp();
  uint64_t f = py.frame(c, 1, 0, 1);
  py.set_local(f, 0, py.str("value"));
  uint64_t ts = py.tstate(interp, 1, f);
  py.threads(interp, {ts});
  FakeTarget fake;
  auto rt = py.finish(fake, interp);

  PyProcess p = walk_bounded(fake, rt);
  ASSERT_EQ(p.threads.size(), 1u);
  ASSERT_EQ(p.threads[0].frames.size(), 1u);
  EXPECT_TRUE(p.threads[0].frames[0].locals.empty());
}

TEST_P(PythonWalkerHostile, NotStartedFramesReportFirstLine) {
  FakePython py(layout());
  const PythonLayout& l = py.layout();
  // The first instruction is on firstlineno + 5: a frame that has not
  // started must still report firstlineno, as CPython does.
  std::vector<uint8_t> table;
  if (l.minor <= 9)
    table = {0, 5};
  else
    table = {0x80 | (13 << 3) | 7, 0x0a};
  uint64_t c = py.code({.name = "gen", .firstlineno = 40, .table = table});
  uint64_t started = py.code({.name = "caller", .firstlineno = 1, .table = table});
  uint64_t interp = py.interp();
  uint64_t bottom = py.chain({started}, 0);
  uint64_t f = py.frame(c, 0, bottom);
  if (py.frame_objects()) {
    py.set(f, l.frame_lasti, 0xffffffffu);  // f_lasti = -1
  } else {
    FieldLoc ip = l.iframe_prev_instr.present() ? l.iframe_prev_instr : l.iframe_instr_ptr;
    py.set(f, ip, c + static_cast<uint64_t>(l.code_code_adaptive.offset) - 2);
    py.set(f, l.iframe_owner, 1);  // FRAME_OWNED_BY_GENERATOR
  }
  uint64_t ts = py.tstate(interp, 1, f);
  py.threads(interp, {ts});
  FakeTarget fake;
  auto rt = py.finish(fake, interp);

  PyProcess p = walk_bounded(fake, rt);
  ASSERT_EQ(p.threads.size(), 1u);
  const auto& frames = p.threads[0].frames;
  ASSERT_EQ(frames.size(), 2u) << joined(p.threads[0].errors);
  EXPECT_EQ(frames[0].name, "gen");
  EXPECT_EQ(frames[0].line, 40);
  EXPECT_EQ(frames[1].name, "caller");
  EXPECT_EQ(frames[1].line, 6);
}

TEST_P(PythonWalkerHostile, IncompleteFrameIsSkipped) {
  FakePython py(layout());
  const PythonLayout& l = py.layout();
  if (!l.iframe_prev_instr.present()) GTEST_SKIP() << "needs prev_instr (3.11-3.12)";
  uint64_t c = py.code({.name = "pushed"});
  uint64_t caller = py.code({.name = "caller"});
  uint64_t interp = py.interp();
  uint64_t f = py.frame(c, 0, py.chain({caller}, 1));
  py.set(f, l.iframe_prev_instr, c + static_cast<uint64_t>(l.code_code_adaptive.offset) - 2);
  uint64_t ts = py.tstate(interp, 1, f);
  py.threads(interp, {ts});
  FakeTarget fake;
  auto rt = py.finish(fake, interp);

  PyProcess p = walk_bounded(fake, rt);
  ASSERT_EQ(p.threads.size(), 1u);
  ASSERT_EQ(p.threads[0].frames.size(), 1u) << joined(p.threads[0].errors);
  EXPECT_EQ(p.threads[0].frames[0].name, "caller");
}

// Distinct code objects sharing one huge (readable) line table: each table is
// capped, and so is the total kept, so memory does not grow with the frames.
TEST_P(PythonWalkerHostile, SharedHugeLineTableTotalIsCapped) {
  FakePython py(layout());
  const size_t kTable = 1 << 20;
  uint64_t table = py.bytes(std::vector<uint8_t>(kTable, 0));
  std::vector<uint64_t> codes;
  for (int i = 0; i < 10; ++i) codes.push_back(py.code({.name = "c", .table_obj = table}));
  FakeTarget fake;
  py.finish(fake, py.interp());

  RemoteObjects ro(fake, py.layout());
  CodeLimits limits;
  limits.max_line_tables = 3 * kTable + kTable / 2;
  CodeCache cache(ro, limits);
  size_t kept = 0, total = 0;
  for (uint64_t c : codes) {
    auto info = cache.get(RemoteAddr(c), false);
    ASSERT_TRUE(info);
    EXPECT_EQ((*info)->name, "c");
    EXPECT_TRUE((*info)->line_table.empty() || (*info)->line_table.size() == kTable);
    kept += (*info)->line_table.empty() ? 0 : 1;
    total += (*info)->line_table.size();
  }
  EXPECT_EQ(kept, 3u);
  EXPECT_LE(total, limits.max_line_tables);
}

// A synthetic 3.15 process: its structs sit where 3.15.2's really are
// (PyThreadState.current_frame 72, thread_id 176, native_thread_id 184;
// interpreter threads.head 7336, imports.modules 7592; _PyRuntime
// interpreters.head 936), which our 3.15 table (3.14's) does not know. Its
// own _Py_DebugOffsets makes the walk right; the table alone does not.
PythonLayout real_315() {
  PythonLayout real = *layout_for(3, 15);
  real.tstate_current_frame = {72, 8};
  real.tstate_thread_id = {176, 8};
  real.tstate_native_thread_id = {184, 8};
  real.interp_threads_head = {7336, 8};
  real.interp_modules = {7592, 8};
  real.runtime_interpreters_head = {936, 8};
  return real;
}

struct Synthetic {
  FakeTarget fake;
  PythonRuntime rt;
};

void build_synthetic(const PythonLayout& real, uint64_t version_hex, Synthetic& s) {
  FakePython py(real);
  auto table = two_line_table(real);
  uint64_t outer = py.code({.name = "main", .file = "/app/main.py", .firstlineno = 1});
  uint64_t inner =
      py.code({.name = "handle", .file = "/app/handler.py", .firstlineno = 100, .table = table});
  uint64_t interp = py.interp();
  uint64_t top = py.chain({outer, inner}, 5);
  uint64_t ts = py.tstate(interp, 0x7001, top);
  py.threads(interp, {ts});
  auto image = corostack::testing_support::debug_offsets_image(real, 15, version_hex);
  py.put_bytes(py.runtime, 0, image.data(), image.size());
  s.rt = py.finish(s.fake, interp);
}

TEST(PythonDebugOffsetsWalk, Synthetic315IsWalkedThroughItsOwnOffsets) {
  PythonLayout real = real_315();
  Synthetic s;
  build_synthetic(real, 0x030f02f0, s);
  const PythonLayout* table = layout_for(3, 15);
  ASSERT_NE(table, nullptr);
  auto applied = apply_debug_offsets(s.fake, s.rt.runtime, *table);
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(applied->described_minor, 15);
  EXPECT_FALSE(applied->differences.empty());
  s.rt.layout = applied->layout.get();
  PyProcess p = walk_bounded(s.fake, s.rt);
  EXPECT_TRUE(p.errors.empty()) << joined(p.errors);
  ASSERT_EQ(p.threads.size(), 1u);
  EXPECT_EQ(p.threads[0].thread_id, 0x7001u);
  ASSERT_EQ(p.threads[0].frames.size(), 2u) << joined(p.threads[0].errors);
  EXPECT_EQ(p.threads[0].frames[0].name, "handle");
  EXPECT_EQ(p.threads[0].frames[0].line, 103);
  EXPECT_EQ(p.threads[0].frames[1].name, "main");

  // The table alone reads the wrong words: the proof the offsets did it.
  s.rt.layout = table;
  PyProcess wrong = walk_bounded(s.fake, s.rt);
  bool same = wrong.threads.size() == 1 && wrong.threads[0].thread_id == 0x7001u &&
              wrong.threads[0].frames.size() == 2;
  EXPECT_FALSE(same);
}

// A version newer than any we know (3.16) is read with the newest member list.
TEST(PythonDebugOffsetsWalk, FutureVersionIsReadWithTheNewestList) {
  PythonLayout real = real_315();
  Synthetic s;
  build_synthetic(real, 0x031000a1, s);  // 3.16.0a1
  auto applied = apply_debug_offsets(s.fake, s.rt.runtime, *newest_layout(false));
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(applied->header.minor, 16);
  EXPECT_EQ(applied->described_minor, newest_described_debug_offsets());
  s.rt.layout = applied->layout.get();
  PyProcess p = walk_bounded(s.fake, s.rt);
  ASSERT_EQ(p.threads.size(), 1u);
  EXPECT_EQ(p.threads[0].frames.size(), 2u) << joined(p.threads[0].errors);
}

// Offsets that lie (inside the sizes they claim, but past every object):
// a bounded, partial walk with errors, never a crash or a hang.
TEST(PythonDebugOffsetsWalk, LyingOffsetsGivePartialResults) {
  for (auto lie : {&PythonLayout::tstate_current_frame, &PythonLayout::iframe_previous,
                   &PythonLayout::code_name, &PythonLayout::interp_threads_head,
                   &PythonLayout::tstate_next, &PythonLayout::iframe_code}) {
    PythonLayout real = real_315();
    Synthetic s;
    build_synthetic(real, 0x030f02f0, s);
    PythonLayout liar = real;
    (liar.*lie).offset = 60000;  // < the 64 KiB each section claims, past every object
    auto image = corostack::testing_support::debug_offsets_image(liar, 15, 0x030f02f0);
    // The same memory under a lying description.
    FakeTarget lying;
    lying.add_region(s.rt.runtime, image);
    auto applied = apply_debug_offsets(lying, s.rt.runtime, *layout_for(3, 15));
    ASSERT_TRUE(applied) << applied.error().message;
    s.rt.layout = applied->layout.get();
    PyProcess p = walk_bounded(s.fake, s.rt);
    bool complete = p.errors.empty() && p.threads.size() == 1 && p.threads[0].errors.empty() &&
                    p.threads[0].frames.size() == 2 && p.threads[0].frames[0].name == "handle";
    EXPECT_FALSE(complete) << "a lie must show";
  }
}

std::string version_name(const ::testing::TestParamInfo<PythonVersion>& info) {
  return std::to_string(info.param.major) + "_" + std::to_string(info.param.minor);
}

INSTANTIATE_TEST_SUITE_P(Versions, PythonWalkerHostile,
                         ::testing::Values(PythonVersion{3, 9}, PythonVersion{3, 11},
                                           PythonVersion{3, 12}, PythonVersion{3, 13},
                                           PythonVersion{3, 14}, PythonVersion{3, 15}),
                         version_name);

}  // namespace
}  // namespace corostack::python
