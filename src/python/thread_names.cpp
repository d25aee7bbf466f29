#include "python/thread_names.hpp"

#include "python/dict_reader.hpp"
#include "python/instance_dict.hpp"
#include "python/module_globals.hpp"

namespace corostack::python {

std::unordered_map<uint64_t, std::string> read_thread_names(const RemoteObjects& ro,
                                                            RemoteAddr interp) {
  std::unordered_map<uint64_t, std::string> names;
  auto globals = module_globals(ro, interp, "threading");
  if (!globals) return names;
  auto active = dict_get_str(ro, *globals, "_active");
  if (!active || !has_type(ro, *active, "dict")) return names;
  for_each_dict_item(ro, *active, kMaxThreadNames, [&](RemoteAddr key, RemoteAddr thread) {
    auto ident = uint64_of(ro, key);
    if (!ident) return true;
    // Thread.__name in 2.7's threading.py, name-mangled; _name in 3.x.
    auto name_obj = instance_attr_str(ro, thread, "_name");
    if (!name_obj) name_obj = instance_attr_str(ro, thread, "_Thread__name");
    if (!name_obj) return true;
    auto name = ro.str_utf8(*name_obj, kMaxThreadNameCodePoints);
    if (name) names.emplace(*ident, std::move(*name));
    return true;
  });
  return names;
}

}  // namespace corostack::python
