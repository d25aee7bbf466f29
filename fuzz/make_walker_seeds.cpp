// Writes seed inputs for fuzz_python_walker and fuzz_asyncio_walker
// (fake_python_memory.hpp shape) from CPython objects built through the real
// layout tables, per supported version: a sane two-thread stack with locals,
// hostile locals, a cyclic frame list. The object builder is the one of
// tests/unit/python_walker_hostile_test.cpp.
//   make_walker_seeds OUT_DIR...   (each OUT_DIR gets the same files)
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "../tests/unit/debug_offsets_image.hpp"
#include "fake_python_memory.hpp"
#include "python/python_layout.hpp"
#include "python/python_versions.hpp"
#include "target/fake_target.hpp"

namespace corostack::python {
namespace {

constexpr uint64_t kBase = fuzz::kFuzzBase;
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
    if (n > 0) std::memcpy(buf_.data() + (addr - kBase + static_cast<uint64_t>(off)), p, n);
  }
  // Writes a pointer/integer field of the field's own size.
  void set(uint64_t obj, FieldLoc f, uint64_t v) {
    if (!f.present()) return;
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

 public:
  const std::vector<std::byte>& image() const { return buf_; }
};

// A line table for `format` mapping code units [0, 4) to firstlineno and
// [4, 8) to firstlineno + 3 (for 3.9's lnotab, everything from unit 4 on).
std::vector<uint8_t> two_line_table(const PythonLayout& l) {
  if (l.minor <= 9) return {8, 3};  // lnotab: from byte offset 8, line += 3
  if (l.minor == 10) return {8, 0, 8, 3};
  // PEP 657: code 13 (no column), length 4, svarint line delta (0, then +3).
  return {0x80 | (13 << 3) | 3, 0x00, 0x80 | (13 << 3) | 3, 0x06};
}

void write_seed(const std::vector<std::string>& dirs, const std::string& name, uint8_t version,
                uint8_t flags, FakePython& py, uint64_t interp) {
  FakeTarget scratch;
  auto rt = py.finish(scratch, interp);
  std::string header(fuzz::kWalkerHeader, '\0');
  header[0] = static_cast<char>(version);
  header[1] = static_cast<char>(flags);
  uint64_t runtime = rt.runtime.value(), head = rt.interp_head.value();
  std::memcpy(header.data() + 2, &runtime, 8);
  std::memcpy(header.data() + 10, &head, 8);
  for (const auto& d : dirs) {
    std::ofstream out(d + "/" + name, std::ios::binary);
    out << header;
    out.write(reinterpret_cast<const char*>(py.image().data()),
              static_cast<std::streamsize>(py.image().size()));
  }
}

void seeds_for(const std::vector<std::string>& dirs, uint8_t index, const PythonVersion& v) {
  const PythonLayout& l = *layout_for(v.major, v.minor);
  std::string tag = "py" + std::to_string(v.major) + "." + std::to_string(v.minor);
  {  // Two threads, three frames, a named qualname, a line table, locals.
    FakePython py(l);
    auto table = two_line_table(l);
    uint64_t outer = py.code({.name = "main", .file = "/app/main.py", .firstlineno = 1});
    uint64_t inner = py.code({.name = "run",
                              .qualname = "Server.run",
                              .file = "/app/server.py",
                              .firstlineno = 20,
                              .table = table,
                              .locals = {"self", "n"},
                              .argcount = 1});
    uint64_t interp = py.interp();
    uint64_t top = py.chain({outer, inner}, 5);
    py.set_local(top, 0, py.str("hello"));
    py.set_local(top, 1, py.tuple({py.str("a"), py.bytes({0, 1, 0xff})}));
    uint64_t ts1 = py.tstate(interp, 0x7001, top);
    uint64_t ts2 = py.tstate(interp, 0x7002, py.chain({outer}, 1));
    uint64_t ts3 = py.tstate(interp, 0x7003, kUnmapped);
    py.threads(interp, {ts1, ts2, ts3});
    py.hold_gil(interp, ts1);
    write_seed(dirs, tag + "-sane", index, 1 | 4, py, interp);
  }
  {  // Hostile locals: a self-containing list, a list whose size lies.
    FakePython py(l);
    uint64_t c = py.code({.name = "f", .locals = {"big", "loop", "liar"}, .argcount = 1});
    uint64_t big = py.str(std::string(3000, 'a'));
    uint64_t loop = py.list(1);
    py.set_list_item(loop, 0, loop);
    uint64_t liar = py.list(2, int64_t{1} << 40);
    py.set_list_item(liar, 0, liar);
    py.set_list_item(liar, 1, big);
    uint64_t interp = py.interp();
    uint64_t f = py.frame(c, 1, 0, 3);
    if (py.has_shims()) py.set_previous(f, py.frame(0, 0, 0, 0, kOwnedByCStack));
    py.set_local(f, 0, big);
    py.set_local(f, 1, loop);
    py.set_local(f, 2, liar);
    py.threads(interp, {py.tstate(interp, 1, f)});
    write_seed(dirs, tag + "-locals", index, 1, py, interp);
  }
  {  // A cycle in the frame list and in the thread list.
    FakePython py(l);
    uint64_t c = py.code({.name = "spin"});
    uint64_t interp = py.interp();
    uint64_t a = py.frame(c, 0, 0);
    uint64_t b = py.frame(c, 0, a);
    py.set_previous(a, b);
    uint64_t ts = py.tstate(interp, 9, b);
    py.threads(interp, {ts, ts});
    write_seed(dirs, tag + "-cycles", index, 2, py, interp);
  }
  if (v.major == 3 && v.minor >= 13) {
    // The target's own _Py_DebugOffsets, lying: the thread list's offset past
    // every object, a code name read from the wrong word, from a future version.
    PythonLayout liar = l;
    liar.tstate_current_frame.offset = 60000;
    liar.code_name.offset = 8;
    FakePython py(l);
    uint64_t c = py.code({.name = "handle", .file = "/app/handler.py", .firstlineno = 100});
    uint64_t interp = py.interp();
    py.threads(interp, {py.tstate(interp, 0x7001, py.chain({c}, 1))});
    auto image = corostack::testing_support::debug_offsets_image(liar, v.minor, 0x031000a1);
    py.put_bytes(py.runtime, 0, image.data(), image.size());
    write_seed(dirs, tag + "-lying-offsets", index, 1 | 8, py, interp);
  }
}

}  // namespace
}  // namespace corostack::python

int main(int argc, char** argv) {
  using namespace corostack::python;
  std::vector<std::string> dirs(argv + 1, argv + argc);
  if (dirs.empty()) {
    std::fprintf(stderr, "usage: make_walker_seeds OUT_DIR...\n");
    return 2;
  }
  auto versions = supported_python_versions();
  for (size_t i = 0; i < versions.size(); ++i)
    seeds_for(dirs, static_cast<uint8_t>(i), versions[i]);
  return 0;
}
