#pragma once
// Python-level thread names (threading.Thread.name), read from outside the
// way py-spy does: interp->modules (sys.modules) -> "threading" -> its
// md_dict -> "_active", a dict {ident (int): Thread} -> each Thread's
// __dict__ -> "_name" (a str; 2.7: "_Thread__name"). Call it while the target is stopped (or on a
// core): a running target may change the dicts under the reads, which are
// all checked and bounded but can then miss names.
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "base/remote_addr.hpp"
#include "python/remote_object.hpp"

namespace corostack::python {

inline constexpr size_t kMaxThreadNames = 4096;          // entries of threading._active read
inline constexpr size_t kMaxThreadNameCodePoints = 256;  // per name; longer names are cut

// threading ident (pthread_t, PyThreadState.thread_id) -> threading name, as
// UTF-8 (cut at kMaxThreadNameCodePoints code points, surrogates as U+FFFD),
// for the interpreter at `interp` (a PyInterpreterState*). Threads whose
// entry or name cannot be read are left out; empty when threading is not
// imported or sys.modules, the module or _active cannot be read.
std::unordered_map<uint64_t, std::string> read_thread_names(const RemoteObjects& ro,
                                                            RemoteAddr interp);

}  // namespace corostack::python
