#include "python/module_globals.hpp"

#include "python/dict_reader.hpp"

namespace corostack::python {

bool has_type(const RemoteObjects& ro, RemoteAddr obj, std::string_view name) {
  auto t = ro.type_name_of(obj);
  return t && *t == name;
}

std::optional<uint64_t> uint64_of(const RemoteObjects& ro, RemoteAddr obj) {
  auto v = ro.int_digits(obj, 3);
  if (!v || v->negative) return std::nullopt;
  unsigned __int128 n = 0;
  for (size_t i = v->digits.size(); i-- > 0;) n = (n << 30) | v->digits[i];
  if (n > UINT64_MAX) return std::nullopt;
  return static_cast<uint64_t>(n);
}

std::optional<RemoteAddr> find_module(const RemoteObjects& ro, RemoteAddr interp,
                                      std::string_view name) {
  auto modules = ro.pointer_field(interp, ro.layout().interp_modules);
  if (!modules || modules->is_null() || !has_type(ro, *modules, "dict")) return std::nullopt;
  auto module = dict_get_str(ro, *modules, name);
  if (!module || !has_type(ro, *module, "module")) return std::nullopt;
  return module;
}

std::optional<RemoteAddr> module_globals(const RemoteObjects& ro, RemoteAddr interp,
                                         std::string_view name) {
  const PythonLayout& l = ro.layout();
  auto module = find_module(ro, interp, name);
  if (!module) return std::nullopt;
  auto globals = ro.pointer_field(*module, l.module_dict);
  if (!globals || globals->is_null() || !has_type(ro, *globals, "dict")) return std::nullopt;
  return globals;
}

}  // namespace corostack::python
