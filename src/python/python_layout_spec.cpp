#include "python/python_layout_spec.hpp"

#include <array>
#include <cstddef>

namespace corostack::python {
namespace {

using enum LayoutQuery;
constexpr LayoutBuild kGil = LayoutBuild::kGilOnly;
constexpr LayoutBuild kFreeThreaded = LayoutBuild::kFreeThreadedOnly;
#define F(name) &PythonLayout::name, #name
constexpr int kLast = 14;  // newest version with a generated table

constexpr LayoutFieldSpec kSpec[] = {
    {F(runtime_interpreters_head), 7, kLast, kMember, "_PyRuntimeState", "interpreters.head"},
    {F(runtime_tstate_current), 7, 11, kMember, "_PyRuntimeState", "gilstate.tstate_current"},
    {F(runtime_gil), 7, 11, kMember, "_PyRuntimeState", "ceval.gil"},
    {F(runtime_debug_offsets), 13, kLast, kMember, "_PyRuntimeState", "debug_offsets"},
    {F(runtime_gc_collecting), 7, 8, kMember, "_PyRuntimeState", "gc.collecting"},
    {F(runtime_gc_generations), 7, 8, kMember, "_PyRuntimeState", "gc.generations"},
    {F(runtime_gc_permanent), 7, 8, kMember, "_PyRuntimeState", "gc.permanent_generation"},
    {F(runtime_finalizing), 9, kLast, kMember, "_PyRuntimeState", "_finalizing"},

    {F(gil_locked), 7, kLast, kMember, "_gil_runtime_state", "locked"},
    {F(gil_last_holder), 7, kLast, kMember, "_gil_runtime_state", "last_holder"},
    {F(gil_enabled), 14, kLast, kMember, "_gil_runtime_state", "enabled", kFreeThreaded},

    {F(interp_next), 6, kLast, kMember, "PyInterpreterState", "next"},
    {F(interp_id), 7, kLast, kMember, "PyInterpreterState", "id"},
    {F(interp_threads_head), 6, 10, kMember, "PyInterpreterState", "tstate_head"},
    {F(interp_threads_head), 11, kLast, kMember, "PyInterpreterState", "threads.head"},
    {F(interp_threads_main), 13, kLast, kMember, "PyInterpreterState", "threads.main"},
    {F(interp_modules), 6, 11, kMember, "PyInterpreterState", "modules"},
    {F(interp_modules), 12, kLast, kMember, "PyInterpreterState", "imports.modules"},
    {F(interp_sysdict), 6, kLast, kMember, "PyInterpreterState", "sysdict"},
    {F(interp_ceval_gil), 12, kLast, kMember, "PyInterpreterState", "ceval.gil"},
    {F(interp_gc_collecting), 9, kLast, kMember, "PyInterpreterState", "gc.collecting"},
    {F(interp_gc_generations), 9, kLast, kMember, "PyInterpreterState", "gc.generations", kGil},
    {F(interp_gc_permanent), 9, kLast, kMember, "PyInterpreterState", "gc.permanent_generation"},
    {F(interp_asyncio_tasks_head), 14, kLast, kMember, "PyInterpreterState", "asyncio_tasks_head"},

    {F(gcgen_head), 6, kLast, kMember, "gc_generation", "head"},
    {F(gchead), 6, kLast, kSizeof, "PyGC_Head", ""},
    {F(gchead_next), 8, kLast, kMember, "PyGC_Head", "_gc_next"},

    {F(tstate_next), 6, kLast, kMember, "PyThreadState", "next"},
    {F(tstate_interp), 6, kLast, kMember, "PyThreadState", "interp"},
    {F(tstate_frame), 6, 10, kMember, "PyThreadState", "frame"},
    {F(tstate_cframe), 10, 12, kMember, "PyThreadState", "cframe"},
    {F(tstate_current_frame), 13, kLast, kMember, "PyThreadState", "current_frame"},
    {F(tstate_thread_id), 6, kLast, kMember, "PyThreadState", "thread_id"},
    {F(tstate_native_thread_id), 11, kLast, kMember, "PyThreadState", "native_thread_id"},
    {F(tstate_asyncio_running_loop), 13, kLast, kMember, "_PyThreadStateImpl",
     "asyncio_running_loop"},
    {F(tstate_asyncio_running_task), 14, kLast, kMember, "_PyThreadStateImpl",
     "asyncio_running_task"},
    {F(tstate_asyncio_tasks_head), 14, kLast, kMember, "_PyThreadStateImpl", "asyncio_tasks_head"},

    {F(cframe_current_frame), 11, 12, kMember, "_PyCFrame", "current_frame"},

    {F(frame_back), 6, 10, kMember, "PyFrameObject", "f_back"},
    {F(frame_code), 6, 10, kMember, "PyFrameObject", "f_code"},
    {F(frame_lasti), 6, 10, kMember, "PyFrameObject", "f_lasti"},
    {F(frame_lineno), 6, 10, kMember, "PyFrameObject", "f_lineno"},
    {F(frame_localsplus), 6, 10, kMember, "PyFrameObject", "f_localsplus"},
    {F(frame_stacktop), 6, 9, kMember, "PyFrameObject", "f_stacktop"},
    {F(frame_valuestack), 6, 10, kMember, "PyFrameObject", "f_valuestack"},
    {F(frame_stackdepth), 10, 10, kMember, "PyFrameObject", "f_stackdepth"},

    {F(iframe_previous), 11, kLast, kMember, "_PyInterpreterFrame", "previous"},
    {F(iframe_code), 11, 12, kMember, "_PyInterpreterFrame", "f_code"},
    {F(iframe_code), 13, kLast, kMember, "_PyInterpreterFrame", "f_executable"},
    {F(iframe_prev_instr), 11, 12, kMember, "_PyInterpreterFrame", "prev_instr"},
    {F(iframe_instr_ptr), 13, kLast, kMember, "_PyInterpreterFrame", "instr_ptr"},
    {F(iframe_localsplus), 11, kLast, kMember, "_PyInterpreterFrame", "localsplus"},
    {F(iframe_owner), 11, kLast, kMember, "_PyInterpreterFrame", "owner"},
    {F(iframe_is_entry), 11, 11, kMember, "_PyInterpreterFrame", "is_entry"},
    {F(iframe_stacktop), 11, 13, kMember, "_PyInterpreterFrame", "stacktop"},
    {F(iframe_stackpointer), 14, kLast, kMember, "_PyInterpreterFrame", "stackpointer"},
    {F(iframe_tlbc_index), 14, kLast, kMember, "_PyInterpreterFrame", "tlbc_index", kFreeThreaded},

    {F(gen_frame), 6, 10, kMember, "PyGenObject", "gi_frame"},
    {F(gen_iframe), 11, kLast, kMember, "PyGenObject", "gi_iframe"},
    {F(gen_frame_state), 11, kLast, kMember, "PyGenObject", "gi_frame_state"},
    {F(gen_qualname), 6, kLast, kMember, "PyGenObject", "gi_qualname"},

    {F(code_argcount), 6, kLast, kMember, "PyCodeObject", "co_argcount"},
    {F(code_flags), 6, kLast, kMember, "PyCodeObject", "co_flags"},
    {F(code_firstlineno), 6, kLast, kMember, "PyCodeObject", "co_firstlineno"},
    {F(code_nlocals), 6, kLast, kMember, "PyCodeObject", "co_nlocals"},
    {F(code_nlocalsplus), 11, kLast, kMember, "PyCodeObject", "co_nlocalsplus"},
    {F(code_varnames), 6, 10, kMember, "PyCodeObject", "co_varnames"},
    {F(code_localsplusnames), 11, kLast, kMember, "PyCodeObject", "co_localsplusnames"},
    {F(code_localspluskinds), 11, kLast, kMember, "PyCodeObject", "co_localspluskinds"},
    {F(code_filename), 6, kLast, kMember, "PyCodeObject", "co_filename"},
    {F(code_name), 6, kLast, kMember, "PyCodeObject", "co_name"},
    {F(code_qualname), 11, kLast, kMember, "PyCodeObject", "co_qualname"},
    {F(code_lnotab), 6, 9, kMember, "PyCodeObject", "co_lnotab"},
    {F(code_linetable), 10, kLast, kMember, "PyCodeObject", "co_linetable"},
    {F(code_code_adaptive), 11, kLast, kMember, "PyCodeObject", "co_code_adaptive"},
    {F(code_code), 6, 10, kMember, "PyCodeObject", "co_code"},
    {F(code_tlbc), 14, kLast, kMember, "PyCodeObject", "co_tlbc", kFreeThreaded},

    {F(object_type), 6, kLast, kMember, "PyObject", "ob_type"},
    {F(varobject_size), 6, kLast, kMember, "PyVarObject", "ob_size"},
    {F(type_name), 6, kLast, kMember, "PyTypeObject", "tp_name"},
    {F(type_flags), 6, kLast, kMember, "PyTypeObject", "tp_flags"},
    {F(type_basicsize), 6, kLast, kMember, "PyTypeObject", "tp_basicsize"},
    {F(type_dictoffset), 6, kLast, kMember, "PyTypeObject", "tp_dictoffset"},
    {F(heaptype_cached_keys), 6, kLast, kMember, "PyHeapTypeObject", "ht_cached_keys"},
    {F(module_dict), 6, kLast, kMember, "PyModuleObject", "md_dict"},
    {F(cell_ref), 6, kLast, kMember, "PyCellObject", "ob_ref"},
    {F(type_base), 6, kLast, kMember, "PyTypeObject", "tp_base"},
    {F(function_code), 6, kLast, kMember, "PyFunctionObject", "func_code"},
    {F(function_closure), 6, kLast, kMember, "PyFunctionObject", "func_closure"},
    {F(method_func), 6, kLast, kMember, "PyMethodObject", "im_func"},
    {F(method_self), 6, kLast, kMember, "PyMethodObject", "im_self"},
    {F(partial_fn), 6, kLast, kMember, "partialobject", "fn"},
    {F(partial_args), 6, kLast, kMember, "partialobject", "args"},
    {F(weakref_object), 6, kLast, kMember, "PyWeakReference", "wr_object"},

    {F(unicode_length), 6, kLast, kMember, "PyASCIIObject", "length"},
    {F(unicode_state), 6, kLast, kMember, "PyASCIIObject", "state"},
    {F(unicode_state_kind), 6, kLast, kBits, "PyASCIIObject", "state.kind"},
    {F(unicode_state_compact), 6, kLast, kBits, "PyASCIIObject", "state.compact"},
    {F(unicode_state_ascii), 6, kLast, kBits, "PyASCIIObject", "state.ascii"},
    {F(unicode_state_ready), 6, 11, kBits, "PyASCIIObject", "state.ready"},
    {F(unicode_ascii_data), 6, kLast, kEndOf, "PyASCIIObject", ""},
    {F(unicode_compact_data), 6, kLast, kEndOf, "PyCompactUnicodeObject", ""},

    {F(bytes_sval), 6, kLast, kMember, "PyBytesObject", "ob_sval"},
    {F(tuple_item), 6, kLast, kMember, "PyTupleObject", "ob_item"},
    {F(list_item), 6, kLast, kMember, "PyListObject", "ob_item"},
    {F(float_fval), 6, kLast, kMember, "PyFloatObject", "ob_fval"},
    {F(long_digits), 6, 11, kMember, "PyLongObject", "ob_digit"},
    {F(long_digits), 12, kLast, kMember, "PyLongObject", "long_value.ob_digit"},
    {F(long_lv_tag), 12, kLast, kMember, "PyLongObject", "long_value.lv_tag"},

    {F(dict_used), 6, kLast, kMember, "PyDictObject", "ma_used"},
    {F(dict_keys), 6, kLast, kMember, "PyDictObject", "ma_keys"},
    {F(dict_values), 6, kLast, kMember, "PyDictObject", "ma_values"},
    {F(dictvalues_values), 11, kLast, kMember, "PyDictValues", "values"},
    {F(dictkeys_size), 6, 10, kMember, "PyDictKeysObject", "dk_size"},
    {F(dictkeys_log2_size), 11, kLast, kMember, "PyDictKeysObject", "dk_log2_size"},
    {F(dictkeys_log2_index_bytes), 11, kLast, kMember, "PyDictKeysObject", "dk_log2_index_bytes"},
    {F(dictkeys_kind), 11, kLast, kMember, "PyDictKeysObject", "dk_kind"},
    {F(dictkeys_nentries), 6, kLast, kMember, "PyDictKeysObject", "dk_nentries"},
    {F(dictkeys_indices), 6, kLast, kMember, "PyDictKeysObject", "dk_indices"},
    {F(dictentry), 6, kLast, kSizeof, "PyDictKeyEntry", ""},
    {F(dictentry_key), 6, kLast, kMember, "PyDictKeyEntry", "me_key"},
    {F(dictentry_value), 6, kLast, kMember, "PyDictKeyEntry", "me_value"},
    {F(dictunicodeentry), 11, kLast, kSizeof, "PyDictUnicodeEntry", ""},
    {F(dictunicodeentry_key), 11, kLast, kMember, "PyDictUnicodeEntry", "me_key"},
    {F(dictunicodeentry_value), 11, kLast, kMember, "PyDictUnicodeEntry", "me_value"},

    {F(set_used), 6, kLast, kMember, "PySetObject", "used"},
    {F(set_mask), 6, kLast, kMember, "PySetObject", "mask"},
    {F(set_table), 6, kLast, kMember, "PySetObject", "table"},
    {F(setentry), 6, kLast, kSizeof, "setentry", ""},
    {F(setentry_key), 6, kLast, kMember, "setentry", "key"},
    {F(setentry_hash), 6, kLast, kMember, "setentry", "hash"},

    {F(deque_leftblock), 6, kLast, kMember, "dequeobject", "leftblock"},
    {F(deque_leftindex), 6, kLast, kMember, "dequeobject", "leftindex"},
    {F(block_data), 6, kLast, kMember, "BLOCK", "data"},
    {F(block_rightlink), 6, kLast, kMember, "BLOCK", "rightlink"},

    // From the _asyncio extension's DWARF (a second file for the generator).
    {F(future_loop), 8, kLast, kMember, "FutureObj", "fut_loop"},
    {F(future_callback0), 8, kLast, kMember, "FutureObj", "fut_callback0"},
    {F(future_callbacks), 8, kLast, kMember, "FutureObj", "fut_callbacks"},
    {F(future_state), 8, kLast, kMember, "FutureObj", "fut_state"},
    {F(task_fut_waiter), 8, kLast, kMember, "TaskObj", "task_fut_waiter"},
    {F(task_coro), 8, kLast, kMember, "TaskObj", "task_coro"},
    {F(task_name), 8, kLast, kMember, "TaskObj", "task_name"},
    {F(futureiter_future), 8, kLast, kMember, "futureiterobject", "future"},
    {F(task_node), 14, kLast, kMember, "TaskObj", "task_node"},
    {F(future_awaited_by), 14, kLast, kMember, "FutureObj", "fut_awaited_by"},
    {F(future_awaited_by_is_set), 14, kLast, kMember, "FutureObj", "fut_awaited_by_is_set"},
    {F(module_state), 6, kLast, kMember, "PyModuleObject", "md_state"},
    {F(asyncio_state_non_asyncio_tasks), 14, kLast, kMember, "asyncio_state", "non_asyncio_tasks"},
    {F(asyncio_state_non_asyncio_eager_tasks), 14, kLast, kMember, "asyncio_state",
     "non_asyncio_eager_tasks"},
};
#undef F

// Rows whose path also resolves outside their range, with another meaning:
// 3.11+ keeps a PyFrameObject (f_back, f_lineno) that only wraps an
// _PyInterpreterFrame; the walker must not follow it.
constexpr FieldLoc PythonLayout::*kOutlivesRange[] = {
    &PythonLayout::frame_back,
    &PythonLayout::frame_lineno,
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

bool row_applies(const LayoutFieldSpec& row, int minor, bool free_threaded) {
  if (minor < row.min_minor || minor > row.max_minor) return false;
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
