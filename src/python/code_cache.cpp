#include "python/code_cache.hpp"

#include <algorithm>

namespace corostack::python {

bool CodeCache::is_code_type(RemoteAddr type) {
  auto it = code_types_.find(type);
  if (it != code_types_.end()) return it->second;
  auto name = ro_.type_name(type);
  bool is_code = name && *name == "code";
  code_types_.emplace(type, is_code);
  return is_code;
}

Result<const CodeInfo*> CodeCache::get(RemoteAddr code, bool with_local_names) {
  auto it = cache_.find(code);
  if (it == cache_.end()) it = cache_.emplace(code, read(code)).first;
  if (!it->second) return it->second.error();
  CodeInfo& info = *it->second;
  if (with_local_names && !info.names_read) read_local_names(code, info);
  return &info;
}

Result<CodeInfo> CodeCache::read(RemoteAddr code) {
  const PythonLayout& l = ro_.layout();
  if (code.is_null()) return make_error(ErrorKind::kCorrupt, "frame without a code object");
  auto type = ro_.field(code, l.object_type);
  if (!type) return make_error(ErrorKind::kUnreadable, "code object unreadable");
  if (!is_code_type(RemoteAddr(*type)))
    return make_error(ErrorKind::kCorrupt, "frame's code is not a code object");

  CodeInfo info;
  auto string_field = [&](FieldLoc f, const char* what) -> Result<std::string> {
    auto p = ro_.pointer_field(code, f);
    if (!p) return make_error(ErrorKind::kUnreadable, std::string(what) + " unreadable");
    auto s = ro_.str_utf8(*p, limits_.max_name);
    if (!s) return make_error(s.error().kind, std::string(what) + ": " + s.error().message);
    return s;
  };
  auto name = string_field(l.code_name, "co_name");
  if (!name) return name.error();
  info.name = std::move(*name);
  auto file = string_field(l.code_filename, "co_filename");
  if (!file) return file.error();
  info.filename = std::move(*file);
  if (l.code_qualname.present()) {
    if (auto q = string_field(l.code_qualname, "co_qualname")) info.qualname = std::move(*q);
  }
  auto first = ro_.field(code, l.code_firstlineno);
  if (!first) return make_error(ErrorKind::kUnreadable, "co_firstlineno unreadable");
  info.firstlineno = static_cast<int32_t>(*first);
  if (auto argc = ro_.field(code, l.code_argcount)) info.argcount = static_cast<int32_t>(*argc);

  FieldLoc table = l.code_linetable.present() ? l.code_linetable : l.code_lnotab;
  if (auto p = ro_.pointer_field(code, table)) {
    // Distinct code objects can all point at one huge table: the total is
    // capped too. A table that does not fit is skipped whole (its lines are
    // unknown) rather than cut, which could decode to wrong lines.
    uint64_t length = 0;
    size_t left = limits_.max_line_tables - line_table_bytes_;
    if (ro_.bytes_contents(*p, 0, &length) &&
        std::min<uint64_t>(length, limits_.max_line_table) <= left) {
      if (auto bytes = ro_.bytes_contents(*p, limits_.max_line_table)) {
        info.line_table = std::move(*bytes);
        line_table_bytes_ += info.line_table.size();
      }
    }
  }
  if (l.code_code_adaptive.present()) {
    auto start = checked_offset(code, static_cast<uint64_t>(l.code_code_adaptive.offset));
    if (!start) return make_error(ErrorKind::kCorrupt, "code object address overflows");
    info.code_start = *start;
  }
  return info;
}

void CodeCache::read_local_names(RemoteAddr code, CodeInfo& info) {
  info.names_read = true;
  const PythonLayout& l = ro_.layout();
  bool plus = l.code_localsplusnames.present();
  auto names = ro_.pointer_field(code, plus ? l.code_localsplusnames : l.code_varnames);
  if (!names) return;
  auto count = ro_.field(*names, l.varobject_size);
  if (!count || static_cast<int64_t>(*count) < 0) return;
  uint64_t n = std::min<uint64_t>(*count, limits_.max_locals);
  if (!plus) {
    // co_varnames may also be shared with cell names; only co_nlocals are plain locals.
    auto nlocals = ro_.field(code, l.code_nlocals);
    if (nlocals && static_cast<int32_t>(*nlocals) >= 0)
      n = std::min<uint64_t>(n, static_cast<uint32_t>(*nlocals));
  }
  std::vector<uint8_t> kinds(n, kCoFastLocal);
  if (plus) {
    auto kp = ro_.pointer_field(code, l.code_localspluskinds);
    auto kb = kp ? ro_.bytes_contents(*kp, n)
                 : Result<std::vector<std::byte>>(make_error(ErrorKind::kUnreadable, ""));
    if (!kb || kb->size() < n) return;
    for (uint64_t i = 0; i < n; ++i) kinds[i] = static_cast<uint8_t>((*kb)[i]);
  }
  if (!l.tuple_item.present()) return;
  for (uint64_t i = 0; i < n; ++i) {
    auto item = ro_.word(*names, static_cast<uint64_t>(l.tuple_item.offset) + 8 * i);
    if (!item) return;
    auto s = ro_.str_utf8(RemoteAddr(*item), limits_.max_name);
    info.local_names.push_back(s ? *s : "<unreadable name>");
  }
  info.local_kinds = std::move(kinds);
}

}  // namespace corostack::python
