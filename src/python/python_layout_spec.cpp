#include "python/python_layout_spec.hpp"

#include <array>
#include <cstddef>

namespace corostack::python {
namespace {

using enum LayoutQuery;
constexpr LayoutBuild kGil = LayoutBuild::kGilOnly;
constexpr LayoutBuild kFreeThreaded = LayoutBuild::kFreeThreadedOnly;
#define F(name) &PythonLayout::name, #name
constexpr int kLast = 314;  // newest version with a generated table (100 * major + minor)

constexpr LayoutFieldSpec kSpec[] = {
    {F(runtime_interpreters_head), 307, kLast, kMember, "_PyRuntimeState", "interpreters.head"},
    {F(runtime_tstate_current), 307, 311, kMember, "_PyRuntimeState", "gilstate.tstate_current"},
    {F(runtime_gil), 307, 311, kMember, "_PyRuntimeState", "ceval.gil"},
    {F(runtime_debug_offsets), 313, kLast, kMember, "_PyRuntimeState", "debug_offsets"},
    {F(runtime_gc_collecting), 307, 308, kMember, "_PyRuntimeState", "gc.collecting"},
    {F(runtime_gc_generations), 307, 308, kMember, "_PyRuntimeState", "gc.generations"},
    {F(runtime_gc_permanent), 307, 308, kMember, "_PyRuntimeState", "gc.permanent_generation"},
    {F(runtime_finalizing), 309, kLast, kMember, "_PyRuntimeState", "_finalizing"},

    {F(gil_locked), 307, kLast, kMember, "_gil_runtime_state", "locked"},
    {F(gil_last_holder), 307, kLast, kMember, "_gil_runtime_state", "last_holder"},
    {F(gil_enabled), 314, kLast, kMember, "_gil_runtime_state", "enabled", kFreeThreaded},

    {F(interp_next), 207, kLast, kMember, "PyInterpreterState", "next"},
    {F(interp_id), 307, kLast, kMember, "PyInterpreterState", "id"},
    {F(interp_threads_head), 207, 310, kMember, "PyInterpreterState", "tstate_head"},
    {F(interp_threads_head), 311, kLast, kMember, "PyInterpreterState", "threads.head"},
    {F(interp_threads_main), 313, kLast, kMember, "PyInterpreterState", "threads.main"},
    {F(interp_modules), 207, 311, kMember, "PyInterpreterState", "modules"},
    {F(interp_modules), 312, kLast, kMember, "PyInterpreterState", "imports.modules"},
    {F(interp_sysdict), 207, kLast, kMember, "PyInterpreterState", "sysdict"},
    {F(interp_ceval_gil), 312, kLast, kMember, "PyInterpreterState", "ceval.gil"},
    {F(interp_gc_collecting), 309, kLast, kMember, "PyInterpreterState", "gc.collecting"},
    {F(interp_gc_generations), 309, kLast, kMember, "PyInterpreterState", "gc.generations", kGil},
    {F(interp_gc_permanent), 309, kLast, kMember, "PyInterpreterState", "gc.permanent_generation"},
    {F(interp_asyncio_tasks_head), 314, kLast, kMember, "PyInterpreterState", "asyncio_tasks_head"},

    {F(gcgen_head), 207, kLast, kMember, "gc_generation", "head"},
    {F(gchead), 207, kLast, kSizeof, "PyGC_Head", ""},
    {F(gchead_next), 308, kLast, kMember, "PyGC_Head", "_gc_next"},

    {F(tstate_next), 207, kLast, kMember, "PyThreadState", "next"},
    {F(tstate_interp), 207, kLast, kMember, "PyThreadState", "interp"},
    {F(tstate_frame), 207, 310, kMember, "PyThreadState", "frame"},
    {F(tstate_cframe), 310, 312, kMember, "PyThreadState", "cframe"},
    {F(tstate_current_frame), 313, kLast, kMember, "PyThreadState", "current_frame"},
    {F(tstate_thread_id), 207, kLast, kMember, "PyThreadState", "thread_id"},
    {F(tstate_native_thread_id), 311, kLast, kMember, "PyThreadState", "native_thread_id"},
    {F(tstate_asyncio_running_loop), 313, kLast, kMember, "_PyThreadStateImpl",
     "asyncio_running_loop"},
    {F(tstate_asyncio_running_task), 314, kLast, kMember, "_PyThreadStateImpl",
     "asyncio_running_task"},
    {F(tstate_asyncio_tasks_head), 314, kLast, kMember, "_PyThreadStateImpl", "asyncio_tasks_head"},

    {F(cframe_current_frame), 311, 312, kMember, "_PyCFrame", "current_frame"},

    {F(frame_back), 207, 310, kMember, "PyFrameObject", "f_back"},
    {F(frame_code), 207, 310, kMember, "PyFrameObject", "f_code"},
    {F(frame_lasti), 207, 310, kMember, "PyFrameObject", "f_lasti"},
    {F(frame_lineno), 207, 310, kMember, "PyFrameObject", "f_lineno"},
    {F(frame_localsplus), 207, 310, kMember, "PyFrameObject", "f_localsplus"},
    {F(frame_stacktop), 207, 309, kMember, "PyFrameObject", "f_stacktop"},
    {F(frame_valuestack), 207, 310, kMember, "PyFrameObject", "f_valuestack"},
    {F(frame_stackdepth), 310, 310, kMember, "PyFrameObject", "f_stackdepth"},

    {F(iframe_previous), 311, kLast, kMember, "_PyInterpreterFrame", "previous"},
    {F(iframe_code), 311, 312, kMember, "_PyInterpreterFrame", "f_code"},
    {F(iframe_code), 313, kLast, kMember, "_PyInterpreterFrame", "f_executable"},
    {F(iframe_prev_instr), 311, 312, kMember, "_PyInterpreterFrame", "prev_instr"},
    {F(iframe_instr_ptr), 313, kLast, kMember, "_PyInterpreterFrame", "instr_ptr"},
    {F(iframe_localsplus), 311, kLast, kMember, "_PyInterpreterFrame", "localsplus"},
    {F(iframe_owner), 311, kLast, kMember, "_PyInterpreterFrame", "owner"},
    {F(iframe_is_entry), 311, 311, kMember, "_PyInterpreterFrame", "is_entry"},
    {F(iframe_stacktop), 311, 313, kMember, "_PyInterpreterFrame", "stacktop"},
    {F(iframe_stackpointer), 314, kLast, kMember, "_PyInterpreterFrame", "stackpointer"},
    {F(iframe_tlbc_index), 314, kLast, kMember, "_PyInterpreterFrame", "tlbc_index", kFreeThreaded},

    {F(gen_frame), 207, 310, kMember, "PyGenObject", "gi_frame"},
    {F(gen_iframe), 311, kLast, kMember, "PyGenObject", "gi_iframe"},
    {F(gen_frame_state), 311, kLast, kMember, "PyGenObject", "gi_frame_state"},
    {F(gen_qualname), 306, kLast, kMember, "PyGenObject", "gi_qualname"},

    {F(code_argcount), 207, kLast, kMember, "PyCodeObject", "co_argcount"},
    {F(code_flags), 207, kLast, kMember, "PyCodeObject", "co_flags"},
    {F(code_firstlineno), 207, kLast, kMember, "PyCodeObject", "co_firstlineno"},
    {F(code_nlocals), 207, kLast, kMember, "PyCodeObject", "co_nlocals"},
    {F(code_nlocalsplus), 311, kLast, kMember, "PyCodeObject", "co_nlocalsplus"},
    {F(code_varnames), 207, 310, kMember, "PyCodeObject", "co_varnames"},
    {F(code_localsplusnames), 311, kLast, kMember, "PyCodeObject", "co_localsplusnames"},
    {F(code_localspluskinds), 311, kLast, kMember, "PyCodeObject", "co_localspluskinds"},
    {F(code_filename), 207, kLast, kMember, "PyCodeObject", "co_filename"},
    {F(code_name), 207, kLast, kMember, "PyCodeObject", "co_name"},
    {F(code_qualname), 311, kLast, kMember, "PyCodeObject", "co_qualname"},
    {F(code_lnotab), 207, 309, kMember, "PyCodeObject", "co_lnotab"},
    {F(code_linetable), 310, kLast, kMember, "PyCodeObject", "co_linetable"},
    {F(code_code_adaptive), 311, kLast, kMember, "PyCodeObject", "co_code_adaptive"},
    {F(code_code), 207, 310, kMember, "PyCodeObject", "co_code"},
    {F(code_tlbc), 314, kLast, kMember, "PyCodeObject", "co_tlbc", kFreeThreaded},

    {F(object_type), 207, kLast, kMember, "PyObject", "ob_type"},
    {F(varobject_size), 207, kLast, kMember, "PyVarObject", "ob_size"},
    {F(type_name), 207, kLast, kMember, "PyTypeObject", "tp_name"},
    {F(type_flags), 207, kLast, kMember, "PyTypeObject", "tp_flags"},
    {F(type_basicsize), 207, kLast, kMember, "PyTypeObject", "tp_basicsize"},
    {F(type_dictoffset), 207, kLast, kMember, "PyTypeObject", "tp_dictoffset"},
    {F(heaptype_cached_keys), 306, kLast, kMember, "PyHeapTypeObject", "ht_cached_keys"},
    {F(module_dict), 207, kLast, kMember, "PyModuleObject", "md_dict"},
    {F(cell_ref), 207, kLast, kMember, "PyCellObject", "ob_ref"},
    {F(type_base), 207, kLast, kMember, "PyTypeObject", "tp_base"},
    {F(function_code), 207, kLast, kMember, "PyFunctionObject", "func_code"},
    {F(function_closure), 207, kLast, kMember, "PyFunctionObject", "func_closure"},
    {F(method_func), 207, kLast, kMember, "PyMethodObject", "im_func"},
    {F(method_self), 207, kLast, kMember, "PyMethodObject", "im_self"},
    {F(partial_fn), 306, kLast, kMember, "partialobject", "fn"},
    {F(partial_args), 306, kLast, kMember, "partialobject", "args"},
    {F(weakref_object), 207, kLast, kMember, "PyWeakReference", "wr_object"},

    {F(unicode_length), 207, 207, kMember, "PyUnicodeObject", "length"},
    {F(unicode_length), 306, kLast, kMember, "PyASCIIObject", "length"},
    {F(unicode_state), 306, kLast, kMember, "PyASCIIObject", "state"},
    {F(unicode_state_kind), 306, kLast, kBits, "PyASCIIObject", "state.kind"},
    {F(unicode_state_compact), 306, kLast, kBits, "PyASCIIObject", "state.compact"},
    {F(unicode_state_ascii), 306, kLast, kBits, "PyASCIIObject", "state.ascii"},
    {F(unicode_state_ready), 306, 311, kBits, "PyASCIIObject", "state.ready"},
    {F(unicode_ascii_data), 306, kLast, kEndOf, "PyASCIIObject", ""},
    {F(unicode_compact_data), 306, kLast, kEndOf, "PyCompactUnicodeObject", ""},

    {F(bytes_sval), 207, 207, kMember, "PyStringObject", "ob_sval"},  // 2.7: bytes is str
    {F(bytes_sval), 306, kLast, kMember, "PyBytesObject", "ob_sval"},
    {F(tuple_item), 207, kLast, kMember, "PyTupleObject", "ob_item"},
    {F(list_item), 207, kLast, kMember, "PyListObject", "ob_item"},
    {F(float_fval), 207, kLast, kMember, "PyFloatObject", "ob_fval"},
    {F(long_digits), 207, 311, kMember, "PyLongObject", "ob_digit"},
    {F(long_digits), 312, kLast, kMember, "PyLongObject", "long_value.ob_digit"},
    {F(long_lv_tag), 312, kLast, kMember, "PyLongObject", "long_value.lv_tag"},

    {F(string_sval), 207, 207, kMember, "PyStringObject", "ob_sval"},
    {F(unicode_str), 207, 207, kMember, "PyUnicodeObject", "str"},
    {F(unicode_char), 207, 207, kSizeof, "Py_UNICODE", ""},
    {F(int_ival), 207, 207, kMember, "PyIntObject", "ob_ival"},
    {F(dict_mask), 207, 207, kMember, "PyDictObject", "ma_mask"},
    {F(dict_table), 207, 207, kMember, "PyDictObject", "ma_table"},

    {F(dict_used), 207, kLast, kMember, "PyDictObject", "ma_used"},
    {F(dict_keys), 306, kLast, kMember, "PyDictObject", "ma_keys"},
    {F(dict_values), 306, kLast, kMember, "PyDictObject", "ma_values"},
    {F(dictvalues_values), 311, kLast, kMember, "PyDictValues", "values"},
    {F(dictkeys_size), 306, 310, kMember, "PyDictKeysObject", "dk_size"},
    {F(dictkeys_log2_size), 311, kLast, kMember, "PyDictKeysObject", "dk_log2_size"},
    {F(dictkeys_log2_index_bytes), 311, kLast, kMember, "PyDictKeysObject", "dk_log2_index_bytes"},
    {F(dictkeys_kind), 311, kLast, kMember, "PyDictKeysObject", "dk_kind"},
    {F(dictkeys_nentries), 306, kLast, kMember, "PyDictKeysObject", "dk_nentries"},
    {F(dictkeys_indices), 306, kLast, kMember, "PyDictKeysObject", "dk_indices"},
    {F(dictentry), 207, 207, kSizeof, "PyDictEntry", ""},
    {F(dictentry), 306, kLast, kSizeof, "PyDictKeyEntry", ""},
    {F(dictentry_key), 207, 207, kMember, "PyDictEntry", "me_key"},
    {F(dictentry_key), 306, kLast, kMember, "PyDictKeyEntry", "me_key"},
    {F(dictentry_value), 207, 207, kMember, "PyDictEntry", "me_value"},
    {F(dictentry_value), 306, kLast, kMember, "PyDictKeyEntry", "me_value"},
    {F(dictunicodeentry), 311, kLast, kSizeof, "PyDictUnicodeEntry", ""},
    {F(dictunicodeentry_key), 311, kLast, kMember, "PyDictUnicodeEntry", "me_key"},
    {F(dictunicodeentry_value), 311, kLast, kMember, "PyDictUnicodeEntry", "me_value"},

    {F(set_used), 207, kLast, kMember, "PySetObject", "used"},
    {F(set_mask), 207, kLast, kMember, "PySetObject", "mask"},
    {F(set_table), 207, kLast, kMember, "PySetObject", "table"},
    {F(setentry), 207, kLast, kSizeof, "setentry", ""},
    {F(setentry_key), 207, kLast, kMember, "setentry", "key"},
    {F(setentry_hash), 207, kLast, kMember, "setentry", "hash"},

    {F(deque_leftblock), 306, kLast, kMember, "dequeobject", "leftblock"},
    {F(deque_leftindex), 306, kLast, kMember, "dequeobject", "leftindex"},
    {F(block_data), 306, kLast, kMember, "BLOCK", "data"},
    {F(block_rightlink), 306, kLast, kMember, "BLOCK", "rightlink"},

    // From the _asyncio extension's DWARF (a second file for the generator).
    {F(future_loop), 308, kLast, kMember, "FutureObj", "fut_loop"},
    {F(future_callback0), 308, kLast, kMember, "FutureObj", "fut_callback0"},
    {F(future_callbacks), 308, kLast, kMember, "FutureObj", "fut_callbacks"},
    {F(future_state), 308, kLast, kMember, "FutureObj", "fut_state"},
    {F(task_fut_waiter), 308, kLast, kMember, "TaskObj", "task_fut_waiter"},
    {F(task_coro), 308, kLast, kMember, "TaskObj", "task_coro"},
    {F(task_name), 308, kLast, kMember, "TaskObj", "task_name"},
    {F(futureiter_future), 308, kLast, kMember, "futureiterobject", "future"},
    {F(task_node), 314, kLast, kMember, "TaskObj", "task_node"},
    {F(future_awaited_by), 314, kLast, kMember, "FutureObj", "fut_awaited_by"},
    {F(future_awaited_by_is_set), 314, kLast, kMember, "FutureObj", "fut_awaited_by_is_set"},
    {F(module_state), 306, kLast, kMember, "PyModuleObject", "md_state"},
    {F(asyncio_state_non_asyncio_tasks), 314, kLast, kMember, "asyncio_state", "non_asyncio_tasks"},
    {F(asyncio_state_non_asyncio_eager_tasks), 314, kLast, kMember, "asyncio_state",
     "non_asyncio_eager_tasks"},
    {F(gil_switch_number), 307, kLast, kMember, "_gil_runtime_state", "switch_number"},
    {F(gil_cond), 307, kLast, kMember, "_gil_runtime_state", "cond"},
    {F(gil_mutex), 307, kLast, kMember, "_gil_runtime_state", "mutex"},

    {F(lock_sem), 207, 313, kMember, "lockobject", "lock_lock"},
    {F(lock_mutex), 314, kLast, kMember, "lockobject", "lock"},
    {F(rlock_sem), 306, 313, kMember, "rlockobject", "rlock_lock"},
    {F(rlock_mutex), 314, kLast, kMember, "rlockobject", "lock.mutex"},
    {F(rlock_owner), 306, 313, kMember, "rlockobject", "rlock_owner"},
    {F(rlock_owner), 314, kLast, kMember, "rlockobject", "lock.thread"},
    {F(rlock_count), 306, 313, kMember, "rlockobject", "rlock_count"},
    {F(rlock_level), 314, kLast, kMember, "rlockobject", "lock.level"},
};
#undef F

// Rows whose path also resolves outside their range, with another meaning:
// 3.11+ keeps a PyFrameObject (f_back, f_lineno) that only wraps an
// _PyInterpreterFrame; the walker must not follow it. 3.x keeps the
// Py_UNICODE typedef (wchar_t, deprecated), but no str is stored in it.
constexpr FieldLoc PythonLayout::*kOutlivesRange[] = {
    &PythonLayout::frame_back,
    &PythonLayout::frame_lineno,
    &PythonLayout::unicode_char,
};

// Every FieldLoc of PythonLayout has at least one row: the struct is the
// header (major, minor) followed by FieldLocs only, and the rows name them
// all (distinctness is checked by the unit test).
constexpr size_t count_fields() {
  size_t n = 0;
  for (size_t i = 0; i < std::size(kSpec); ++i) {
    bool first = true;
    for (size_t j = 0; j < i; ++j) {
      if (kSpec[j].field == kSpec[i].field) first = false;
    }
    if (first) ++n;
  }
  return n;
}
static_assert(sizeof(PythonLayout) == offsetof(PythonLayout, runtime_interpreters_head) +
                                          count_fields() * sizeof(FieldLoc),
              "every PythonLayout field needs a row in kSpec");

}  // namespace

bool row_applies(const LayoutFieldSpec& row, int version, bool free_threaded) {
  if (version < row.min_version || version > row.max_version) return false;
  if (row.build == LayoutBuild::kGilOnly) return !free_threaded;
  if (row.build == LayoutBuild::kFreeThreadedOnly) return free_threaded;
  return true;
}

bool may_exist_outside_range(const LayoutFieldSpec& row) {
  for (auto field : kOutlivesRange) {
    if (row.field == field) return true;
  }
  return false;
}

std::span<const LayoutFieldSpec> layout_spec() {
  return kSpec;
}

}  // namespace corostack::python
