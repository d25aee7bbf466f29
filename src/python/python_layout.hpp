#pragma once
// Where CPython keeps what an out-of-process stack walker reads, per version.
// Every value is derived from the DWARF of a real libpython build by
// tools/gen_python_layout (see docs/python-layouts.md); nothing here is typed
// by hand. Invariant 4: one table per version, one walker, no version ifs.
#include <cstdint>

namespace corostack::python {

// One fact about a struct. `offset` < 0 means "not in this version".
// For members: byte offset from the start of the struct and the member's size
// in bytes (for arrays: the size of one element). For bitfields: bit offset
// from the start of the enclosing member and width in bits. For "end of"
// facts: offset = sizeof(struct), size = 0.
struct FieldLoc {
  int32_t offset = -1;
  int32_t size = 0;
  constexpr bool present() const { return offset >= 0; }
};

// x86-64, default (GIL, non-debug) builds. Fields are in the order of the
// generator's spec (src/python/python_layout_spec.cpp).
struct PythonLayout {
  int major = 0;
  int minor = 0;
  bool free_threaded = false;  // a --disable-gil build (3.13t+): its own table

  // _PyRuntimeState (symbol _PyRuntime, 3.7+; 3.6 has the `interp_head` symbol instead)
  FieldLoc runtime_interpreters_head;  // first PyInterpreterState*
  FieldLoc runtime_tstate_current;     // gilstate.tstate_current: GIL holder (3.7-3.11)
  FieldLoc runtime_gil;                // ceval.gil: embedded _gil_runtime_state (3.7-3.11)
  FieldLoc runtime_debug_offsets;      // _Py_DebugOffsets, cookie "xdebugpy" (3.13+)
  FieldLoc runtime_gc_collecting;      // gc.collecting: nonzero during a collection (3.7-3.8)
  FieldLoc runtime_gc_generations;     // gc.generations[]: the GC's object lists (3.7-3.8)
  FieldLoc runtime_gc_permanent;       // gc.permanent_generation (3.7-3.8)
  FieldLoc runtime_finalizing;         // _finalizing: PyThreadState* running Py_Finalize (3.9+)

  // struct _gil_runtime_state (3.7+)
  FieldLoc gil_locked;       // nonzero while someone holds the GIL
  FieldLoc gil_last_holder;  // PyThreadState* that took it last
  FieldLoc gil_enabled;      // enabled: 0 while a free-threaded build runs without it (3.13t+)

  // PyInterpreterState
  FieldLoc interp_next;            // next interpreter
  FieldLoc interp_id;              // interpreter id (3.7+)
  FieldLoc interp_threads_head;    // tstate_head (<=3.10) / threads.head (3.11+)
  FieldLoc interp_threads_main;    // threads.main: the main thread's state (3.13+)
  FieldLoc interp_modules;         // sys.modules: modules (<=3.11) / imports.modules (3.12+)
  FieldLoc interp_sysdict;         // sys.__dict__
  FieldLoc interp_ceval_gil;       // ceval.gil: _gil_runtime_state* (3.12+, per interpreter)
  FieldLoc interp_gc_collecting;   // gc.collecting: nonzero during a collection (3.9+)
  FieldLoc interp_gc_generations;  // gc.generations[]: the GC's object lists (3.9+)
  FieldLoc interp_gc_permanent;    // gc.permanent_generation (3.9+)
  // asyncio_tasks_head: llist of the tasks of threads that have exited (3.14+)
  FieldLoc interp_asyncio_tasks_head;

  // The cyclic GC's lists: every tracked container object sits in one
  FieldLoc gcgen_head;   // gc_generation.head: the list head, a PyGC_Head
  FieldLoc gchead;       // PyGC_Head: size only; the object follows its head
  FieldLoc gchead_next;  // PyGC_Head._gc_next: next head; low bits are flags (3.8+)

  // PyThreadState
  FieldLoc tstate_next;           // next thread of the same interpreter
  FieldLoc tstate_interp;         // owning PyInterpreterState*
  FieldLoc tstate_frame;          // PyFrameObject* of the running frame (<=3.10)
  FieldLoc tstate_cframe;         // CFrame* (3.10-3.12); only 3.11-3.12 have cframe_current_frame
  FieldLoc tstate_current_frame;  // _PyInterpreterFrame* (3.13+)
  FieldLoc tstate_thread_id;      // pthread_t of the thread
  FieldLoc tstate_native_thread_id;  // kernel TID (3.11+)
  // _PyThreadStateImpl, which starts with the PyThreadState (3.14+,
  // Include/internal/pycore_tstate.h)
  FieldLoc tstate_asyncio_running_loop;  // asyncio_running_loop: the thread's running loop
  FieldLoc tstate_asyncio_running_task;  // asyncio_running_task: the task it is running
  FieldLoc tstate_asyncio_tasks_head;    // asyncio_tasks_head: llist of its loop's C tasks

  // _PyCFrame (3.11-3.12)
  FieldLoc cframe_current_frame;  // _PyInterpreterFrame* of the running frame

  // PyFrameObject (<=3.10; later versions only wrap an _PyInterpreterFrame)
  FieldLoc frame_back;        // f_back: caller's PyFrameObject*
  FieldLoc frame_code;        // f_code: PyCodeObject*
  FieldLoc frame_lasti;       // f_lasti: byte offset (<=3.9) / instruction index (3.10)
  FieldLoc frame_lineno;      // f_lineno: valid only while tracing
  FieldLoc frame_localsplus;  // f_localsplus[]: locals, cells, frees, then the value stack
  FieldLoc frame_stacktop;    // f_stacktop: PyObject** past the value stack's top, or NULL (<=3.9)
  FieldLoc frame_valuestack;  // f_valuestack: PyObject** bottom of the value stack (<=3.10)
  FieldLoc frame_stackdepth;  // f_stackdepth: items on the value stack of a suspended frame (3.10)

  // _PyInterpreterFrame (3.11+)
  FieldLoc iframe_previous;    // caller's _PyInterpreterFrame*
  FieldLoc iframe_code;        // f_code (3.11-3.12) / f_executable, maybe not code (3.13+)
  FieldLoc iframe_prev_instr;  // last started instruction, _Py_CODEUNIT* (3.11-3.12)
  FieldLoc iframe_instr_ptr;   // next/current instruction, _Py_CODEUNIT* (3.13+)
  FieldLoc iframe_localsplus;  // localsplus[]: PyObject* per co_localsplusnames entry
  FieldLoc iframe_owner;       // FRAME_OWNED_BY_*: thread, generator, frame object, C stack
  FieldLoc iframe_is_entry;    // first Python frame of a C-level eval call (3.11 only)
  FieldLoc iframe_stacktop;    // stacktop: value stack top, as an index into localsplus (3.11-3.13)
  FieldLoc iframe_stackpointer;  // stackpointer: _PyStackRef* past the value stack's top (3.14+)
  FieldLoc iframe_tlbc_index;    // tlbc_index: which of co_tlbc's copies runs (3.14t+)

  // PyGenObject (PyCoroObject and PyAsyncGenObject share its head, cr_/ag_ prefixed)
  FieldLoc gen_frame;        // gi_frame: PyFrameObject*, NULL once finished (<=3.10)
  FieldLoc gen_iframe;       // gi_iframe: the embedded _PyInterpreterFrame (3.11+)
  FieldLoc gen_frame_state;  // gi_frame_state: FRAME_CREATED .. FRAME_CLEARED (3.11+)
  FieldLoc gen_qualname;     // gi_qualname: str, what __qualname__ returns

  // PyCodeObject
  FieldLoc code_argcount;         // co_argcount
  FieldLoc code_flags;            // co_flags (CO_COROUTINE etc.)
  FieldLoc code_firstlineno;      // co_firstlineno
  FieldLoc code_nlocals;          // co_nlocals: plain locals
  FieldLoc code_nlocalsplus;      // co_nlocalsplus: locals + cells + frees (3.11+)
  FieldLoc code_varnames;         // co_varnames: tuple of local names (<=3.10)
  FieldLoc code_localsplusnames;  // co_localsplusnames: tuple (3.11+)
  FieldLoc code_localspluskinds;  // co_localspluskinds: bytes of CO_FAST_* (3.11+)
  FieldLoc code_filename;         // co_filename: str
  FieldLoc code_name;             // co_name: str
  FieldLoc code_qualname;         // co_qualname: str (3.11+)
  FieldLoc code_lnotab;           // co_lnotab: bytes, (addr, line) deltas (<=3.9)
  FieldLoc code_linetable;        // co_linetable: PEP 626 (3.10) / PEP 657 (3.11+) bytes
  FieldLoc code_code_adaptive;    // co_code_adaptive[]: start of bytecode (3.11+)
  FieldLoc code_code;             // co_code: bytes of the bytecode (<=3.10)
  FieldLoc code_tlbc;             // co_tlbc: _PyCodeArray* of per-thread bytecode (3.14t+)

  // Generic objects
  FieldLoc object_type;           // PyObject.ob_type
  FieldLoc varobject_size;        // PyVarObject.ob_size
  FieldLoc type_name;             // PyTypeObject.tp_name: const char*
  FieldLoc type_flags;            // PyTypeObject.tp_flags: Py_TPFLAGS_*_SUBCLASS bits
  FieldLoc type_basicsize;        // PyTypeObject.tp_basicsize: inline values follow it (3.13+)
  FieldLoc type_dictoffset;       // PyTypeObject.tp_dictoffset: where an instance keeps __dict__
  FieldLoc heaptype_cached_keys;  // PyHeapTypeObject.ht_cached_keys: keys of split dicts
  FieldLoc module_dict;           // PyModuleObject.md_dict: the module's globals
  FieldLoc cell_ref;              // PyCellObject.ob_ref: the value of a cell variable
  FieldLoc type_base;             // PyTypeObject.tp_base: the base class
  FieldLoc function_code;         // PyFunctionObject.func_code
  FieldLoc function_closure;      // PyFunctionObject.func_closure: tuple of cells or NULL
  FieldLoc method_func;           // PyMethodObject.im_func: the function of a bound method
  FieldLoc method_self;           // PyMethodObject.im_self: the instance it is bound to
  FieldLoc partial_fn;            // functools.partial (partialobject).fn
  FieldLoc partial_args;          // partialobject.args: tuple
  FieldLoc weakref_object;        // PyWeakReference.wr_object: referent, None once dead

  // str (PEP 393)
  FieldLoc unicode_length;         // PyASCIIObject.length, in code points
  FieldLoc unicode_state;          // PyASCIIObject.state: the bitfield word
  FieldLoc unicode_state_kind;     // bits of state.kind: 1, 2 or 4 bytes per code point
  FieldLoc unicode_state_compact;  // bit of state.compact: data follows the header
  FieldLoc unicode_state_ascii;    // bit of state.ascii: data follows PyASCIIObject
  FieldLoc unicode_state_ready;    // bit of state.ready (<=3.11)
  FieldLoc unicode_ascii_data;     // end of PyASCIIObject: compact ASCII data
  FieldLoc unicode_compact_data;   // end of PyCompactUnicodeObject: compact non-ASCII data

  // bytes, tuple, list, float, int
  FieldLoc bytes_sval;   // PyBytesObject.ob_sval[]; length in ob_size
  FieldLoc tuple_item;   // PyTupleObject.ob_item[]; length in ob_size
  FieldLoc list_item;    // PyListObject.ob_item: PyObject**; length in ob_size
  FieldLoc float_fval;   // PyFloatObject.ob_fval: double
  FieldLoc long_digits;  // ob_digit[] (<=3.11) / long_value.ob_digit[] (3.12+); size = digit
  FieldLoc long_lv_tag;  // long_value.lv_tag: sign and digit count (3.12+)

  // Python 2 (2.7): `str` is a byte string (PyStringObject), `unicode` a
  // PyUnicodeObject with a pointer to its code units, small ints PyIntObject,
  // and a dict one open-addressing table of PyDictEntry (size, me_key and
  // me_value: dictentry*). unicode_length is PyUnicodeObject.length in 2.7,
  // counted in Py_UNICODE units. Absent from 3.x; string_sval's presence
  // means "the Python 2 object model" (object_repr, str reads).
  FieldLoc string_sval;   // PyStringObject.ob_sval[]; length in ob_size (2.7)
  FieldLoc unicode_str;   // PyUnicodeObject.str: Py_UNICODE*; length in unicode_length (2.7)
  FieldLoc unicode_char;  // Py_UNICODE: size only, 4 in UCS4 builds, 2 in UCS2 (2.7)
  FieldLoc int_ival;      // PyIntObject.ob_ival: long (2.7)
  FieldLoc dict_mask;     // PyDictObject.ma_mask: table slots - 1 (2.7)
  FieldLoc dict_table;    // PyDictObject.ma_table: PyDictEntry*, maybe ma_smalltable (2.7)

  // dict
  FieldLoc dict_used;                  // PyDictObject.ma_used: number of items
  FieldLoc dict_keys;                  // PyDictObject.ma_keys: PyDictKeysObject*
  FieldLoc dict_values;                // PyDictObject.ma_values: split-table values or NULL
  FieldLoc dictvalues_values;          // PyDictValues.values[] (3.11+; ma_values points at it)
  FieldLoc dictkeys_size;              // dk_size: number of index slots (<=3.10)
  FieldLoc dictkeys_log2_size;         // dk_log2_size: log2 of index slots (3.11+)
  FieldLoc dictkeys_log2_index_bytes;  // dk_log2_index_bytes: log2 of dk_indices bytes (3.11+)
  FieldLoc dictkeys_kind;              // dk_kind: DICT_KEYS_GENERAL/UNICODE/SPLIT (3.11+)
  FieldLoc dictkeys_nentries;          // dk_nentries: used entries
  FieldLoc dictkeys_indices;           // dk_indices: index table; entries follow it
  FieldLoc dictentry;                  // PyDictKeyEntry: size only (hash, key, value)
  FieldLoc dictentry_key;              // PyDictKeyEntry.me_key
  FieldLoc dictentry_value;            // PyDictKeyEntry.me_value
  FieldLoc dictunicodeentry;           // PyDictUnicodeEntry: size only (3.11+, str keys)
  FieldLoc dictunicodeentry_key;       // PyDictUnicodeEntry.me_key (3.11+)
  FieldLoc dictunicodeentry_value;     // PyDictUnicodeEntry.me_value (3.11+)

  // set / frozenset
  FieldLoc set_used;       // PySetObject.used: number of active keys
  FieldLoc set_mask;       // PySetObject.mask: table slots - 1
  FieldLoc set_table;      // PySetObject.table: setentry*
  FieldLoc setentry;       // setentry: size only (key, hash)
  FieldLoc setentry_key;   // setentry.key: NULL when empty, the dummy when deleted
  FieldLoc setentry_hash;  // setentry.hash: -1 for deleted entries

  // collections.deque (Modules/_collectionsmodule.c): items in linked blocks
  FieldLoc deque_leftblock;  // dequeobject.leftblock: first block
  FieldLoc deque_leftindex;  // dequeobject.leftindex: first item's slot in it
  FieldLoc block_data;       // block.data[BLOCKLEN]: item pointers
  FieldLoc block_rightlink;  // block.rightlink: next block (BLOCKLEN = (this - data) / 8)

  // _asyncio (Modules/_asynciomodule.c, 3.8+; from the extension's DWARF). A
  // TaskObj starts with the FutureObj head, so the future fields serve both.
  FieldLoc future_loop;        // FutureObj.fut_loop: the event loop
  FieldLoc future_callback0;   // fut_callback0: first done callback, or NULL
  FieldLoc future_callbacks;   // fut_callbacks: list of (callback, context) tuples, or NULL
  FieldLoc future_state;       // fut_state: PENDING, CANCELLED, FINISHED (enum)
  FieldLoc task_fut_waiter;    // TaskObj.task_fut_waiter: the future the task waits on
  FieldLoc task_coro;          // task_coro: the task's coroutine
  FieldLoc task_name;          // task_name: str (or, lazily, an int counter)
  FieldLoc futureiter_future;  // futureiterobject.future: what `await fut` is waiting on
  FieldLoc task_node;          // TaskObj.task_node: its llist_node on a thread's task list (3.14+)
  FieldLoc future_awaited_by;  // fut_awaited_by: the awaiter, or a set of them (3.14+)
  FieldLoc future_awaited_by_is_set;  // fut_awaited_by_is_set: char, awaited_by is a set (3.14+)
  FieldLoc module_state;              // PyModuleObject.md_state: the module's C state
  // The _asyncio module's state (asyncio_state, 3.14+): tasks that are not
  // _asyncio.Task (a WeakSet) and eager ones of those (a set); C tasks are on
  // the thread lists instead.
  FieldLoc asyncio_state_non_asyncio_tasks;
  FieldLoc asyncio_state_non_asyncio_eager_tasks;

  // More of struct _gil_runtime_state, for `doctor` (3.7+)
  FieldLoc gil_switch_number;  // switch_number: +1 each time the GIL changes hands
  FieldLoc gil_cond;           // cond: the pthread_cond_t threads wanting the GIL sleep on
  FieldLoc gil_mutex;          // mutex: the pthread_mutex_t that guards `locked`

  // _thread.lock and _thread.RLock (Modules/_threadmodule.c): what a thread
  // blocked in acquire() sleeps on, and an RLock's owner (Lock 2.7+, RLock 3.6+)
  FieldLoc lock_sem;     // lockobject.lock_lock: PyThread_type_lock = sem_t* (2.7-3.13)
  FieldLoc lock_mutex;   // lockobject.lock: PyMutex, parked on through the parking lot (3.14+)
  FieldLoc rlock_sem;    // rlockobject.rlock_lock: sem_t* (3.6-3.13)
  FieldLoc rlock_mutex;  // rlockobject.lock.mutex: PyMutex (3.14+)
  FieldLoc rlock_owner;  // rlock_owner (<=3.13) / lock.thread (3.14+): owner's ident, 0 if free
  FieldLoc rlock_count;  // rlock_count: acquisitions by the owner (<=3.13)
  FieldLoc rlock_level;  // lock.level: acquisitions by the owner - 1 (3.14+)
};

}  // namespace corostack::python
