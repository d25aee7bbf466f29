#include "python/thread_names.hpp"

#include "python/dict_reader.hpp"
#include "python/instance_dict.hpp"

namespace corostack::python {
namespace {

bool has_type(const RemoteObjects& ro, RemoteAddr obj, std::string_view name) {
  auto t = ro.type_name_of(obj);
  return t && *t == name;
}

// A non-negative int that fits 64 bits (3 digits of 30 bits at most).
std::optional<uint64_t> uint64_of(const RemoteObjects& ro, RemoteAddr obj) {
  auto v = ro.int_digits(obj, 3);
  if (!v || v->negative) return std::nullopt;
  unsigned __int128 n = 0;
  for (size_t i = v->digits.size(); i-- > 0;) n = (n << 30) | v->digits[i];
  if (n > UINT64_MAX) return std::nullopt;
  return static_cast<uint64_t>(n);
}

}  // namespace

std::unordered_map<uint64_t, std::string> read_thread_names(const RemoteObjects& ro,
                                                            RemoteAddr interp) {
  std::unordered_map<uint64_t, std::string> names;
  const PythonLayout& l = ro.layout();
  auto modules = ro.pointer_field(interp, l.interp_modules);
  if (!modules || modules->is_null() || !has_type(ro, *modules, "dict")) return names;
  auto threading = dict_get_str(ro, *modules, "threading");
  if (!threading || !has_type(ro, *threading, "module")) return names;
  auto globals = ro.pointer_field(*threading, l.module_dict);
  if (!globals || globals->is_null() || !has_type(ro, *globals, "dict")) return names;
  auto active = dict_get_str(ro, *globals, "_active");
  if (!active || !has_type(ro, *active, "dict")) return names;
  for_each_dict_item(ro, *active, kMaxThreadNames, [&](RemoteAddr key, RemoteAddr thread) {
    auto ident = uint64_of(ro, key);
    if (!ident) return true;
    auto name_obj = instance_attr_str(ro, thread, "_name");
    if (!name_obj) return true;
    auto name = ro.str_utf8(*name_obj, kMaxThreadNameCodePoints);
    if (name) names.emplace(*ident, std::move(*name));
    return true;
  });
  return names;
}

}  // namespace corostack::python
