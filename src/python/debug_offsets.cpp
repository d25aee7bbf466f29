#include "python/debug_offsets.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace corostack::python {
namespace {

// Each version's _Py_DebugOffsets after the 8-byte cookie: every member is a
// uint64_t, in declaration order, so a member's position is 8 * (index + 1).
// Section sub-structs are spelled "section.member". 3.13:
// Include/internal/pycore_runtime.h; 3.14: Include/internal/pycore_debug_offsets.h
// (v3.14.7). Checked against each build's DWARF by python_debug_offsets_test.
#define HEADER "version", "free_threaded"
#define RUNTIME "runtime_state.size", "runtime_state.finalizing", "runtime_state.interpreters_head"
#define THREAD                                                                                 \
  "thread_state.size", "thread_state.prev", "thread_state.next", "thread_state.interp",        \
      "thread_state.current_frame", "thread_state.thread_id", "thread_state.native_thread_id", \
      "thread_state.datastack_chunk", "thread_state.status"
#define OBJECTS                                                                                   \
  "pyobject.size", "pyobject.ob_type", "type_object.size", "type_object.tp_name",                 \
      "type_object.tp_repr", "type_object.tp_flags", "tuple_object.size", "tuple_object.ob_item", \
      "tuple_object.ob_size", "list_object.size", "list_object.ob_item", "list_object.ob_size"
#define VALUES                                                                                    \
  "dict_object.size", "dict_object.ma_keys", "dict_object.ma_values", "float_object.size",        \
      "float_object.ob_fval", "long_object.size", "long_object.lv_tag", "long_object.ob_digit",   \
      "bytes_object.size", "bytes_object.ob_size", "bytes_object.ob_sval", "unicode_object.size", \
      "unicode_object.state", "unicode_object.length", "unicode_object.asciiobject_size",         \
      "gc.size", "gc.collecting"

const char* const k313[] = {
    HEADER,
    RUNTIME,
    "interpreter_state.size",
    "interpreter_state.id",
    "interpreter_state.next",
    "interpreter_state.threads_head",
    "interpreter_state.gc",
    "interpreter_state.imports_modules",
    "interpreter_state.sysdict",
    "interpreter_state.builtins",
    "interpreter_state.ceval_gil",
    "interpreter_state.gil_runtime_state",
    "interpreter_state.gil_runtime_state_enabled",
    "interpreter_state.gil_runtime_state_locked",
    "interpreter_state.gil_runtime_state_holder",
    THREAD,
    "interpreter_frame.size",
    "interpreter_frame.previous",
    "interpreter_frame.executable",
    "interpreter_frame.instr_ptr",
    "interpreter_frame.localsplus",
    "interpreter_frame.owner",
    "code_object.size",
    "code_object.filename",
    "code_object.name",
    "code_object.qualname",
    "code_object.linetable",
    "code_object.firstlineno",
    "code_object.argcount",
    "code_object.localsplusnames",
    "code_object.localspluskinds",
    "code_object.co_code_adaptive",
    OBJECTS,
    VALUES,
};

// Sections 3.14 and 3.15 share.
#define INTERP_314                                                                                \
  "interpreter_state.size", "interpreter_state.id", "interpreter_state.next",                     \
      "interpreter_state.threads_head", "interpreter_state.threads_main", "interpreter_state.gc", \
      "interpreter_state.imports_modules", "interpreter_state.sysdict",                           \
      "interpreter_state.builtins", "interpreter_state.ceval_gil",                                \
      "interpreter_state.gil_runtime_state", "interpreter_state.gil_runtime_state_enabled",       \
      "interpreter_state.gil_runtime_state_locked", "interpreter_state.gil_runtime_state_holder", \
      "interpreter_state.code_object_generation", "interpreter_state.tlbc_generation"
#define FRAME_CODE_314                                                                             \
  "interpreter_frame.size", "interpreter_frame.previous", "interpreter_frame.executable",          \
      "interpreter_frame.instr_ptr", "interpreter_frame.localsplus", "interpreter_frame.owner",    \
      "interpreter_frame.stackpointer", "interpreter_frame.tlbc_index", "code_object.size",        \
      "code_object.filename", "code_object.name", "code_object.qualname", "code_object.linetable", \
      "code_object.firstlineno", "code_object.argcount", "code_object.localsplusnames",            \
      "code_object.localspluskinds", "code_object.co_code_adaptive", "code_object.co_tlbc"
#define GEN_LLIST_DEBUGGER_314                                                                  \
  "gen_object.size", "gen_object.gi_name", "gen_object.gi_iframe", "gen_object.gi_frame_state", \
      "llist_node.next", "llist_node.prev", "debugger_support.eval_breaker",                    \
      "debugger_support.remote_debugger_support", "debugger_support.remote_debugging_enabled",  \
      "debugger_support.debugger_pending_call", "debugger_support.debugger_script_path",        \
      "debugger_support.debugger_script_path_size"

const char* const k314[] = {
    HEADER,
    RUNTIME,
    INTERP_314,
    THREAD,
    FRAME_CODE_314,
    OBJECTS,
    "set_object.size",
    "set_object.used",
    "set_object.table",
    "set_object.mask",
    VALUES,
    GEN_LLIST_DEBUGGER_314,
};
// 3.15 (v3.15.2's pycore_debug_offsets.h): thread_state gains base_frame,
// last_profiled_frame(_seq), holds_gil, gil_requested, current_exception,
// exc_state; new err_stackitem and heap_type_object sections; tp_basicsize,
// tp_dictoffset, compactunicodeobject_size and three gc members appended.
const char* const k315[] = {
    HEADER,
    RUNTIME,
    INTERP_314,
    "thread_state.size",
    "thread_state.prev",
    "thread_state.next",
    "thread_state.interp",
    "thread_state.current_frame",
    "thread_state.base_frame",
    "thread_state.last_profiled_frame",
    "thread_state.last_profiled_frame_seq",
    "thread_state.thread_id",
    "thread_state.native_thread_id",
    "thread_state.datastack_chunk",
    "thread_state.status",
    "thread_state.holds_gil",
    "thread_state.gil_requested",
    "thread_state.current_exception",
    "thread_state.exc_state",
    "err_stackitem.exc_value",
    FRAME_CODE_314,
    "pyobject.size",
    "pyobject.ob_type",
    "type_object.size",
    "type_object.tp_name",
    "type_object.tp_repr",
    "type_object.tp_flags",
    "type_object.tp_basicsize",
    "type_object.tp_dictoffset",
    "heap_type_object.size",
    "heap_type_object.ht_cached_keys",
    "tuple_object.size",
    "tuple_object.ob_item",
    "tuple_object.ob_size",
    "list_object.size",
    "list_object.ob_item",
    "list_object.ob_size",
    "set_object.size",
    "set_object.used",
    "set_object.table",
    "set_object.mask",
    "dict_object.size",
    "dict_object.ma_keys",
    "dict_object.ma_values",
    "float_object.size",
    "float_object.ob_fval",
    "long_object.size",
    "long_object.lv_tag",
    "long_object.ob_digit",
    "bytes_object.size",
    "bytes_object.ob_size",
    "bytes_object.ob_sval",
    "unicode_object.size",
    "unicode_object.state",
    "unicode_object.length",
    "unicode_object.asciiobject_size",
    "unicode_object.compactunicodeobject_size",
    "gc.size",
    "gc.collecting",
    "gc.frame",
    "gc.generation_stats_size",
    "gc.generation_stats",
    GEN_LLIST_DEBUGGER_314,
};
#undef HEADER
#undef RUNTIME
#undef THREAD
#undef OBJECTS
#undef VALUES
#undef INTERP_314
#undef FRAME_CODE_314
#undef GEN_LLIST_DEBUGGER_314

struct VersionMembers {
  int minor;
  std::span<const char* const> members;
};
const VersionMembers kVersions[] = {{13, k313}, {14, k314}, {15, k315}};
static_assert(std::size(k315) == 110, "3.15's struct is 888 bytes: cookie + 110 words");

// Members whose value is an offset into the struct their section names.
#define D(field, path) \
  { &PythonLayout::field, #field, path, false }
#define FT(field, path) \
  { &PythonLayout::field, #field, path, true }
const DebugOffsetsField kFields[] = {
    D(runtime_interpreters_head, "runtime_state.interpreters_head"),
    D(runtime_finalizing, "runtime_state.finalizing"),
    D(interp_id, "interpreter_state.id"),
    D(interp_next, "interpreter_state.next"),
    D(interp_threads_head, "interpreter_state.threads_head"),
    D(interp_threads_main, "interpreter_state.threads_main"),
    D(interp_modules, "interpreter_state.imports_modules"),
    D(interp_sysdict, "interpreter_state.sysdict"),
    D(interp_ceval_gil, "interpreter_state.ceval_gil"),
    D(tstate_next, "thread_state.next"),
    D(tstate_interp, "thread_state.interp"),
    D(tstate_current_frame, "thread_state.current_frame"),
    D(tstate_thread_id, "thread_state.thread_id"),
    D(tstate_native_thread_id, "thread_state.native_thread_id"),
    D(iframe_previous, "interpreter_frame.previous"),
    D(iframe_code, "interpreter_frame.executable"),
    D(iframe_instr_ptr, "interpreter_frame.instr_ptr"),
    D(iframe_localsplus, "interpreter_frame.localsplus"),
    D(iframe_owner, "interpreter_frame.owner"),
    D(iframe_stackpointer, "interpreter_frame.stackpointer"),
    FT(iframe_tlbc_index, "interpreter_frame.tlbc_index"),
    D(code_filename, "code_object.filename"),
    D(code_name, "code_object.name"),
    D(code_qualname, "code_object.qualname"),
    D(code_linetable, "code_object.linetable"),
    D(code_firstlineno, "code_object.firstlineno"),
    D(code_argcount, "code_object.argcount"),
    D(code_localsplusnames, "code_object.localsplusnames"),
    D(code_localspluskinds, "code_object.localspluskinds"),
    D(code_code_adaptive, "code_object.co_code_adaptive"),
    FT(code_tlbc, "code_object.co_tlbc"),
    D(object_type, "pyobject.ob_type"),
    D(type_name, "type_object.tp_name"),
    D(type_flags, "type_object.tp_flags"),
    D(type_basicsize, "type_object.tp_basicsize"),
    D(type_dictoffset, "type_object.tp_dictoffset"),
    D(heaptype_cached_keys, "heap_type_object.ht_cached_keys"),
    D(tuple_item, "tuple_object.ob_item"),
    D(varobject_size, "tuple_object.ob_size"),
    D(list_item, "list_object.ob_item"),
    D(set_used, "set_object.used"),
    D(set_table, "set_object.table"),
    D(set_mask, "set_object.mask"),
    D(dict_keys, "dict_object.ma_keys"),
    D(dict_values, "dict_object.ma_values"),
    D(float_fval, "float_object.ob_fval"),
    D(long_lv_tag, "long_object.lv_tag"),
    D(long_digits, "long_object.ob_digit"),
    D(bytes_sval, "bytes_object.ob_sval"),
    D(unicode_state, "unicode_object.state"),
    D(unicode_length, "unicode_object.length"),
    D(gen_iframe, "gen_object.gi_iframe"),
    D(gen_frame_state, "gen_object.gi_frame_state"),
};
#undef D
#undef FT
// Not taken: gen_object.gi_name (we show gi_qualname), llist_node (a fixed
// {next, prev}), debugger_support (what PEP 768 writes; we never write).
constexpr uint64_t kMaxStructSize = 1 << 20;  // sizes above this are not a layout

const VersionMembers* members_for(int minor) {
  for (const VersionMembers& v : kVersions)
    if (v.minor == minor) return &v;
  return nullptr;
}

// Positions of one version's members, by path.
class Image {
 public:
  Image(const VersionMembers& v, std::vector<std::byte> raw) : v_(v), raw_(std::move(raw)) {}
  std::optional<uint64_t> get(std::string_view path) const {
    for (size_t i = 0; i < v_.members.size(); ++i) {
      if (path != v_.members[i]) continue;
      uint64_t value;
      std::memcpy(&value, raw_.data() + 8 * (i + 1), 8);
      return value;
    }
    return std::nullopt;
  }
  // The size its section gives itself ("thread_state.size"); 0 for sections without one.
  uint64_t section_size(std::string_view path) const {
    return get(std::string(path.substr(0, path.find('.'))) + ".size").value_or(0);
  }

 private:
  const VersionMembers& v_;
  std::vector<std::byte> raw_;
};

}  // namespace

int newest_described_debug_offsets() {
  return std::rbegin(kVersions)->minor;
}

std::vector<DebugOffsetsMember> debug_offsets_members(int minor) {
  std::vector<DebugOffsetsMember> out;
  if (const VersionMembers* v = members_for(minor)) {
    for (size_t i = 0; i < v->members.size(); ++i)
      out.push_back({v->members[i], static_cast<uint32_t>(8 * (i + 1))});
  }
  return out;
}

uint32_t debug_offsets_size(int minor) {
  const VersionMembers* v = members_for(minor);
  return v ? static_cast<uint32_t>(8 * (v->members.size() + 1)) : 0;
}

std::vector<DebugOffsetsField> debug_offsets_fields() {
  return {std::begin(kFields), std::end(kFields)};
}

Result<DebugOffsetsHeader> read_debug_offsets_header(const MemoryReader& mem, RemoteAddr addr) {
  std::byte raw[24];
  if (!mem.read(addr, raw).complete(sizeof raw))
    return make_error(ErrorKind::kUnreadable, "_Py_DebugOffsets unreadable");
  if (std::memcmp(raw, "xdebugpy", 8) != 0)
    return make_error(ErrorKind::kCorrupt, "_Py_DebugOffsets: no cookie");
  DebugOffsetsHeader h;
  uint64_t ft;
  std::memcpy(&h.version_hex, raw + 8, 8);
  std::memcpy(&ft, raw + 16, 8);
  h.major = static_cast<int>(h.version_hex >> 24);
  h.minor = static_cast<int>((h.version_hex >> 16) & 0xff);
  if (h.major != 3 || h.minor < 13 || (h.version_hex >> 32) != 0)
    return make_error(ErrorKind::kCorrupt, "_Py_DebugOffsets: version " +
                                               std::to_string(h.version_hex) + " is not 3.13+");
  if (ft > 1)
    return make_error(ErrorKind::kCorrupt,
                      "_Py_DebugOffsets: free_threaded is " + std::to_string(ft) + ", not 0 or 1");
  h.free_threaded = ft == 1;
  return h;
}

Result<DebugOffsetsLayout> apply_debug_offsets(const MemoryReader& mem, RemoteAddr addr,
                                               const PythonLayout& base) {
  auto header = read_debug_offsets_header(mem, addr);
  if (!header) return header.error();
  if (header->free_threaded != base.free_threaded)
    return make_error(ErrorKind::kCorrupt,
                      std::string("_Py_DebugOffsets: free_threaded ") +
                          (header->free_threaded ? "set" : "clear") + " for a table of a " +
                          (base.free_threaded ? "free-threaded" : "regular") + " build");
  // A newer version than any list: read it as the newest, which it extends.
  int described = std::min(header->minor, newest_described_debug_offsets());
  const VersionMembers* v = members_for(described);
  if (!v) return make_error(ErrorKind::kCorrupt, "_Py_DebugOffsets: no member list");
  std::vector<std::byte> raw(8 * (v->members.size() + 1));
  if (!mem.read(addr, raw).complete(raw.size()))
    return make_error(ErrorKind::kUnreadable, "_Py_DebugOffsets unreadable");
  Image image(*v, std::move(raw));

  auto layout = std::make_shared<PythonLayout>(base);
  DebugOffsetsLayout out;
  out.header = *header;
  out.described_minor = described;
  auto set = [&](FieldLoc& f, const char* name, uint64_t offset, uint64_t parent_size) -> Status {
    uint64_t size = f.size > 0 ? static_cast<uint64_t>(f.size) : 8;
    if (parent_size > kMaxStructSize || offset > kMaxStructSize ||
        (parent_size != 0 && offset + size > parent_size))
      return make_error(ErrorKind::kCorrupt,
                        std::string("_Py_DebugOffsets: ") + name + " outside its struct");
    if (f.offset != static_cast<int64_t>(offset))
      out.differences.push_back(std::string(name) + ": table " + std::to_string(f.offset) +
                                ", target " + std::to_string(offset));
    f.offset = static_cast<int32_t>(offset);
    if (f.size == 0) f.size = 8;
    return ok_status();
  };
  for (const DebugOffsetsField& d : kFields) {
    auto value = image.get(d.path);
    if (!value) continue;                                          // not in this version's struct
    if (d.free_threaded_only && !header->free_threaded) continue;  // 0: not in this build
    if (auto s = set((*layout).*(d.field), d.field_name, *value, image.section_size(d.path)); !s)
      return s.error();
  }
  uint64_t interp_size = image.section_size("interpreter_state");
  // gc.collecting is relative to the interpreter's gc state.
  uint64_t gc = image.get("interpreter_state.gc").value_or(0);
  uint64_t collecting = image.get("gc.collecting").value_or(0);
  if (gc > kMaxStructSize || collecting > image.section_size("gc"))
    return make_error(ErrorKind::kCorrupt, "_Py_DebugOffsets: gc.collecting outside its struct");
  if (auto s =
          set(layout->interp_gc_collecting, "interp_gc_collecting", gc + collecting, interp_size);
      !s)
    return s.error();
  // The GIL members are offsets from the interpreter to its embedded _gil;
  // we reach the GIL through ceval.gil (the pointer an interpreter uses), so
  // they become offsets inside _gil_runtime_state.
  uint64_t gil = image.get("interpreter_state.gil_runtime_state").value_or(0);
  auto gil_member = [&](FieldLoc& f, const char* name, const char* path) -> Status {
    auto at = image.get(path);
    if (!at || *at == 0 || *at < gil) return ok_status();
    return set(f, name, *at - gil, 0);
  };
  if (gil != 0) {
    if (auto s = gil_member(layout->gil_locked, "gil_locked",
                            "interpreter_state.gil_runtime_state_locked");
        !s)
      return s.error();
    if (auto s = gil_member(layout->gil_last_holder, "gil_last_holder",
                            "interpreter_state.gil_runtime_state_holder");
        !s)
      return s.error();
    if (header->free_threaded) {
      if (auto s = gil_member(layout->gil_enabled, "gil_enabled",
                              "interpreter_state.gil_runtime_state_enabled");
          !s)
        return s.error();
    }
  }
  uint64_t ascii_size = image.get("unicode_object.asciiobject_size").value_or(0);
  if (ascii_size == 0 || ascii_size > kMaxStructSize)
    return make_error(ErrorKind::kCorrupt, "_Py_DebugOffsets: bad asciiobject_size");
  if (layout->unicode_ascii_data.offset != static_cast<int64_t>(ascii_size))
    out.differences.push_back("unicode_ascii_data: table " +
                              std::to_string(layout->unicode_ascii_data.offset) + ", target " +
                              std::to_string(ascii_size));
  layout->unicode_ascii_data.offset = static_cast<int32_t>(ascii_size);
  // 3.15+: where compact non-ASCII data starts.
  if (auto compact = image.get("unicode_object.compactunicodeobject_size")) {
    if (*compact == 0 || *compact > kMaxStructSize)
      return make_error(ErrorKind::kCorrupt, "_Py_DebugOffsets: bad compactunicodeobject_size");
    if (layout->unicode_compact_data.offset != static_cast<int64_t>(*compact))
      out.differences.push_back("unicode_compact_data: table " +
                                std::to_string(layout->unicode_compact_data.offset) + ", target " +
                                std::to_string(*compact));
    layout->unicode_compact_data.offset = static_cast<int32_t>(*compact);
  }
  out.layout = std::move(layout);
  return out;
}

}  // namespace corostack::python
