#pragma once
// Locating the CPython interpreter in a target, from outside, without running
// anything: which mapped ELF holds it, its version, the address of
// _PyRuntime, and the first PyInterpreterState (validated). The Python stack
// walker starts from here. Strategy and sources: docs/python-layouts.md,
// "Locating the runtime".
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/remote_addr.hpp"
#include "base/result.hpp"
#include "python/python_layout.hpp"
#include "python/python_runtime_scan.hpp"
#include "target/memory_map.hpp"
#include "target/target.hpp"

namespace corostack::python {

struct PythonRuntime {
  int major = 0, minor = 0, micro = 0;
  // "Py_Version symbol", "_Py_DebugOffsets", "version string (sys.version buffer)",
  // "version string (.rodata)", "file name" (micro then 0).
  std::string version_source;
  // 3.7+: the address of _PyRuntime. 2.7 and 3.6 have no _PyRuntime: the address of
  // the static `interp_head` (or, found without that symbol, of a static word
  // holding the same first interpreter).
  RemoteAddr runtime;
  // ".dynsym", ".symtab", ".PyRuntime section", ".symtab interp_head",
  // "_PyThreadState_Current", "_Py_DebugOffsets scan", "bss scan".
  std::string runtime_source;
  std::string module;                    // the target's path of the ELF holding the runtime
  const PythonLayout* layout = nullptr;  // layout_for(major, minor); nullptr if no table
  bool free_threaded = false;            // a --disable-gil build (from _Py_DebugOffsets or name)
  // A version newer than any table (3.16), read with the newest one and the
  // target's own offsets: said once, results may be partial.
  bool untested_version = false;
  // 3.13+: the table with the target's own _Py_DebugOffsets applied (layout
  // then points here), and where the two disagreed.
  std::shared_ptr<const PythonLayout> debug_offsets_layout;
  std::vector<std::string> layout_differences;
  // The first PyInterpreterState*, read through the layout and validated
  // (its first thread state points back). Null when layout is nullptr: a
  // version without a table is reported (runtime and version) but its
  // interpreter cannot be checked.
  RemoteAddr interp_head;
  // PyCoro_Type, the `coroutine` type object, when libpython exports it:
  // what a memory scan looks for on free-threaded builds (heap_object_scan).
  RemoteAddr coroutine_type;
  // 3.14+: the address of asyncio's AsyncioDebug section, when asyncio is
  // loaded and its file has one (python/asyncio_debug.hpp).
  std::optional<RemoteAddr> asyncio_debug;
  int thread_back_references = 0;  // thread states found pointing back at interp_head
  // 2.7 and 3.6: the address of the `_PyThreadState_Current` global, which
  // holds the thread state of the thread holding the GIL (NULL while nobody
  // does); null when the symbol was not found or the version keeps the holder
  // elsewhere (3.7+: _PyRuntime).
  RemoteAddr tstate_current;
  // 2.7 and 3.6: the address of gcmodule.c's static `int collecting` (a
  // .symtab symbol: null in stripped builds); later versions keep the flag in
  // the interpreter or _PyRuntime.
  RemoteAddr gc_collecting_flag;
  std::vector<std::string> notes;  // strategies that failed or disagreed on the way
};

// Switches for tests: each strategy can be turned off to exercise the later ones.
struct LocateOptions {
  bool use_symbols = true;             // _PyRuntime, Py_Version, interp_head, ...
  bool use_sections = true;            // the .PyRuntime section
  bool use_debug_offsets_scan = true;  // "xdebugpy" in the module's data (3.13+)
  bool use_version_strings = true;     // sys.version buffer, then .rodata
  bool use_bss_scan = true;            // validated scan for interpreters.head
  // 3.14+: also find the AsyncioDebug section (another ELF read), for
  // callers that will walk asyncio.
  bool asyncio_offsets = false;
  ScanLimits limits;
};

// A mapped ELF that may hold the interpreter, in the order they are tried.
struct PythonModuleCandidate {
  std::string path;     // as the target maps it
  int name_major = -1;  // from the file name (libpython3.11.so, python3.11), -1 if none
  int name_minor = -1;
  bool named_python = false;  // libpython*/python* name; false for the main-executable fallback
  bool free_threaded_name = false;  // python3.14t, libpython3.14t.so
};
std::vector<PythonModuleCandidate> find_python_modules(const std::vector<MemoryMap>& maps,
                                                       const std::string& exe_path);

// kNotFound "not a Python process" when no CPython is mapped; kUnsupported for
// Python 2; kNotFound with the strategies tried when CPython is mapped but no
// valid interpreter state was found.
Result<PythonRuntime> locate_python(const Target& target, const LocateOptions& options = {});

}  // namespace corostack::python
