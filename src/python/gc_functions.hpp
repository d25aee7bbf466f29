#pragma once
// Which native functions of CPython run a garbage collection: a thread with
// one of them on its native stack is collecting. Names per version, from
// Modules/gcmodule.c (2.7-3.12), Python/gc.c (3.13+) and
// Python/gc_free_threading.c (3.13t+); all are static or internal, so a
// stripped interpreter may show none of them.
#include <string_view>

namespace corostack::python {

bool is_gc_function(std::string_view name);

}  // namespace corostack::python
