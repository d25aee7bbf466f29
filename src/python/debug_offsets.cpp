#include "python/debug_offsets.hpp"

#include <cstring>

namespace corostack::python {
namespace {

// Positions in the 3.13 struct (Include/internal/pycore_runtime.h, checked
// against libpython3.13's DWARF by tests/unit/python_debug_offsets_test.cpp).
constexpr uint32_t kSize = 584;
constexpr uint32_t kVersion = 8;
#define D(field, path, pos, size_pos) \
  { &PythonLayout::field, #field, path, pos, size_pos }
const DebugOffsetsField kFields[] = {
    D(runtime_interpreters_head, "runtime_state.interpreters_head", 40, 24),
    D(interp_id, "interpreter_state.id", 56, 48),
    D(interp_next, "interpreter_state.next", 64, 48),
    D(interp_threads_head, "interpreter_state.threads_head", 72, 48),
    D(interp_modules, "interpreter_state.imports_modules", 88, 48),
    D(interp_sysdict, "interpreter_state.sysdict", 96, 48),
    D(interp_ceval_gil, "interpreter_state.ceval_gil", 112, 48),
    D(tstate_next, "thread_state.next", 168, 152),
    D(tstate_interp, "thread_state.interp", 176, 152),
    D(tstate_current_frame, "thread_state.current_frame", 184, 152),
    D(tstate_thread_id, "thread_state.thread_id", 192, 152),
    D(tstate_native_thread_id, "thread_state.native_thread_id", 200, 152),
    D(iframe_previous, "interpreter_frame.previous", 232, 224),
    D(iframe_code, "interpreter_frame.executable", 240, 224),
    D(iframe_instr_ptr, "interpreter_frame.instr_ptr", 248, 224),
    D(iframe_localsplus, "interpreter_frame.localsplus", 256, 224),
    D(iframe_owner, "interpreter_frame.owner", 264, 224),
    D(code_filename, "code_object.filename", 280, 272),
    D(code_name, "code_object.name", 288, 272),
    D(code_qualname, "code_object.qualname", 296, 272),
    D(code_linetable, "code_object.linetable", 304, 272),
    D(code_firstlineno, "code_object.firstlineno", 312, 272),
    D(code_argcount, "code_object.argcount", 320, 272),
    D(code_localsplusnames, "code_object.localsplusnames", 328, 272),
    D(code_localspluskinds, "code_object.localspluskinds", 336, 272),
    D(code_code_adaptive, "code_object.co_code_adaptive", 344, 272),
    D(object_type, "pyobject.ob_type", 360, 352),
    D(type_name, "type_object.tp_name", 376, 368),
    D(type_flags, "type_object.tp_flags", 392, 368),
    D(tuple_item, "tuple_object.ob_item", 408, 400),
    D(varobject_size, "tuple_object.ob_size", 416, 400),
    D(list_item, "list_object.ob_item", 432, 424),
    D(dict_keys, "dict_object.ma_keys", 456, 448),
    D(dict_values, "dict_object.ma_values", 464, 448),
    D(float_fval, "float_object.ob_fval", 480, 472),
    D(long_lv_tag, "long_object.lv_tag", 496, 488),
    D(long_digits, "long_object.ob_digit", 504, 488),
    D(bytes_sval, "bytes_object.ob_sval", 528, 512),
    D(unicode_state, "unicode_object.state", 544, 536),
    D(unicode_length, "unicode_object.length", 552, 536),
};
#undef D
// Not used: gil_runtime_state_locked/holder are offsets from the interpreter
// state to its embedded _gil, while we reach the GIL through ceval.gil (the
// pointer a 3.13 interpreter actually uses) and our table's offsets inside
// _gil_runtime_state. Described separately: gc.collecting is relative to interpreter_state.gc;
// unicode_object.asciiobject_size is where compact ASCII data starts.
constexpr uint32_t kInterpGc = 80, kGcCollecting = 576, kGcSize = 568;
constexpr uint32_t kAsciiObjectSize = 560;
constexpr uint64_t kMaxStructSize = 1 << 20;  // sizes above this are not a layout

uint64_t word_at(const std::vector<std::byte>& raw, uint32_t pos) {
  uint64_t v;
  std::memcpy(&v, raw.data() + pos, sizeof v);
  return v;
}

}  // namespace

std::vector<DebugOffsetsField> debug_offsets_fields() {
  return {std::begin(kFields), std::end(kFields)};
}

Result<DebugOffsetsLayout> apply_debug_offsets(const MemoryReader& mem, RemoteAddr addr,
                                               const PythonLayout& base) {
  std::vector<std::byte> raw(kSize);
  if (!mem.read(addr, raw).complete(kSize))
    return make_error(ErrorKind::kUnreadable, "_Py_DebugOffsets unreadable");
  if (std::memcmp(raw.data(), "xdebugpy", 8) != 0)
    return make_error(ErrorKind::kCorrupt, "_Py_DebugOffsets: no cookie");
  uint64_t version = word_at(raw, kVersion);
  if ((version >> 24) != 3 || ((version >> 16) & 0xff) != 13)
    return make_error(ErrorKind::kCorrupt, "_Py_DebugOffsets: not a 3.13 layout");

  auto layout = std::make_shared<PythonLayout>(base);
  DebugOffsetsLayout out;
  auto apply = [&](FieldLoc PythonLayout::*field, const char* name, uint64_t offset,
                   uint64_t parent_size) -> Status {
    FieldLoc& f = (*layout).*field;
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
    uint64_t parent = d.size_position ? word_at(raw, d.size_position) : 0;
    if (auto s = apply(d.field, d.field_name, word_at(raw, d.position), parent); !s)
      return s.error();
  }
  uint64_t gc = word_at(raw, kInterpGc), collecting = word_at(raw, kGcCollecting);
  if (gc > kMaxStructSize || collecting > word_at(raw, kGcSize))
    return make_error(ErrorKind::kCorrupt, "_Py_DebugOffsets: gc.collecting outside its struct");
  if (auto s = apply(&PythonLayout::interp_gc_collecting, "interp_gc_collecting", gc + collecting,
                     word_at(raw, 48));
      !s)
    return s.error();
  uint64_t ascii_size = word_at(raw, kAsciiObjectSize);
  if (ascii_size > kMaxStructSize)
    return make_error(ErrorKind::kCorrupt, "_Py_DebugOffsets: bad asciiobject_size");
  if (layout->unicode_ascii_data.offset != static_cast<int64_t>(ascii_size))
    out.differences.push_back("unicode_ascii_data: table " +
                              std::to_string(layout->unicode_ascii_data.offset) + ", target " +
                              std::to_string(ascii_size));
  layout->unicode_ascii_data.offset = static_cast<int32_t>(ascii_size);
  out.layout = std::move(layout);
  return out;
}

}  // namespace corostack::python
