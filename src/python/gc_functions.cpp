#include "python/gc_functions.hpp"

#include <array>

namespace corostack::python {

bool is_gc_function(std::string_view name) {
  static constexpr std::array<std::string_view, 13> kNames = {
      "collect",                   // 2.7-3.8: the collection itself
      "collect_with_callback",     // 3.3-3.8
      "gc_collect_main",           // 3.9-3.14, 3.13t+
      "gc_collect_with_callback",  // 3.9-3.12
      "gc_collect_region",         // 3.13+ (incremental collector)
      "gc_collect_full",           // 3.13+
      "gc_collect_young",          // 3.13+
      "gc_collect_increment",      // 3.13+
      "gc_collect_internal",       // 3.13t+
      "_PyGC_Collect",             // 3.13+
      "_PyGC_CollectNoFail",       // 3.6-3.12
      "PyGC_Collect",              // the C API, all versions
      "gc_collect_impl",           // gc.collect()
  };
  for (std::string_view n : kNames)
    if (n == name) return true;
  return false;
}

}  // namespace corostack::python
