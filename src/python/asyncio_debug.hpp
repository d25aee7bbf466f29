#pragma once
// asyncio's own description of its layout (3.14+): the `AsyncioDebug` ELF
// section (Modules/_asynciomodule.c: GENERATE_DEBUG_SECTION(AsyncioDebug,
// Py_AsyncioModuleDebugOffsets _AsyncioDebug), `_Py_AsyncioDebug` in 3.15),
// which gives where a TaskObj keeps its name, coroutine, awaiters and list
// node, and where a thread state and an interpreter keep their task lists and
// running loop/task. Those live in _PyThreadStateImpl, whose layout depends on
// configure options (the JIT adds fields), so the target's own numbers beat
// any table. The section is in the _asyncio extension (3.14) or in libpython
// or the executable, where _asyncio is built in (3.15, static builds).
#include <optional>
#include <string>

#include "base/remote_addr.hpp"
#include "base/result.hpp"
#include "python/python_layout.hpp"
#include "target/memory_reader.hpp"
#include "target/target.hpp"

namespace corostack::python {

// The section's address in the target: looked for in `python_module` first,
// then in every mapped _asyncio*.so. nullopt when not loaded (asyncio not
// imported yet) or no file has the section.
std::optional<RemoteAddr> find_asyncio_debug(const Target& target,
                                             const std::string& python_module);

// `base` with the section's offsets applied. kCorrupt when an offset lies
// outside the struct size the section gives for it.
Result<PythonLayout> apply_asyncio_debug(const MemoryReader& mem, RemoteAddr addr,
                                         const PythonLayout& base);

constexpr uint32_t kAsyncioDebugSize = 104;  // 13 uint64_t (3.14.7 and 3.15.2)

}  // namespace corostack::python
