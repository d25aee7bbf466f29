#include "python/remote_object.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "python/object_repr_text.hpp"

namespace corostack::python {
namespace {
constexpr size_t kMaxTypeName = 128;
// Python 2's fast-subclass bits of tp_flags (2.7's Include/object.h), set by
// PyType_Ready on the builtin types and their subclasses.
constexpr uint64_t kPy2TpFlagsIntSubclass = 1ull << 23;
constexpr uint64_t kPy2TpFlagsStringSubclass = 1ull << 27;
constexpr uint64_t kPy2TpFlagsUnicodeSubclass = 1ull << 28;
}  // namespace

std::optional<RemoteAddr> checked_offset(RemoteAddr a, uint64_t off) {
  if (a.value() > UINT64_MAX - off) return std::nullopt;
  return a + off;
}

std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

std::optional<uint64_t> RemoteObjects::read_uint(RemoteAddr base, uint64_t off, size_t size) const {
  auto a = checked_offset(base, off);
  if (!a || size == 0 || size > 8) return std::nullopt;
  uint64_t v = 0;
  auto r = mem_.read(*a, std::as_writable_bytes(std::span(&v, 1)).first(size));
  if (!r.complete(size)) return std::nullopt;
  return v;
}

std::optional<uint64_t> RemoteObjects::field(RemoteAddr obj, FieldLoc f) const {
  if (!f.present()) return std::nullopt;
  return read_uint(obj, static_cast<uint64_t>(f.offset), static_cast<size_t>(f.size));
}

std::optional<RemoteAddr> RemoteObjects::pointer_field(RemoteAddr obj, FieldLoc f) const {
  if (!f.present() || f.size != 8) return std::nullopt;
  auto v = field(obj, f);
  if (!v) return std::nullopt;
  return RemoteAddr(*v);
}

bool RemoteObjects::read_bytes(RemoteAddr base, uint64_t off, std::span<std::byte> out) const {
  auto a = checked_offset(base, off);
  if (!a || a->value() > UINT64_MAX - out.size()) return false;
  return mem_.read(*a, out).complete(out.size());
}

std::optional<std::string> RemoteObjects::type_name_of(RemoteAddr obj) const {
  auto type = field(obj, l_.object_type);
  if (!type) return std::nullopt;
  return type_name(RemoteAddr(*type));
}

std::optional<std::string> RemoteObjects::type_name(RemoteAddr type) const {
  // Types outlive the objects a walk visits, and a walk asks for the same few
  // over and over: read each name once per RemoteObjects (one pause).
  if (auto it = type_names_.find(type); it != type_names_.end()) return it->second;
  auto name = read_type_name(type);
  if (type_names_.size() < kMaxCachedTypeNames) type_names_.emplace(type, name);
  return name;
}

std::optional<std::string> RemoteObjects::read_type_name(RemoteAddr type) const {
  auto name_ptr = field(type, l_.type_name);
  if (!name_ptr || *name_ptr == 0) return std::nullopt;
  char buf[kMaxTypeName];
  auto r = mem_.read(RemoteAddr(*name_ptr), std::as_writable_bytes(std::span(buf)));
  if (r.bytes == 0) return std::nullopt;
  std::string name;
  size_t i = 0;
  for (; i < r.bytes && buf[i] != '\0'; ++i) {
    auto c = static_cast<unsigned char>(buf[i]);
    if (c > 0x20 && c < 0x7f && c != '\\') {
      name += static_cast<char>(c);
    } else {
      char esc[8];
      std::snprintf(esc, sizeof(esc), "\\x%02x", c);
      name += esc;
    }
  }
  if (i == r.bytes) name += "…";  // no terminator within what could be read
  return name;
}

std::optional<uint64_t> RemoteObjects::type_flags_of(RemoteAddr obj) const {
  auto type = field(obj, l_.object_type);
  if (!type) return std::nullopt;
  return field(RemoteAddr(*type), l_.type_flags);
}

bool RemoteObjects::is_py2_byte_string(RemoteAddr obj) const {
  if (!l_.string_sval.present()) return false;
  auto flags = type_flags_of(obj);
  return flags && (*flags & kPy2TpFlagsStringSubclass);
}

bool RemoteObjects::is_py2_unicode(RemoteAddr obj) const {
  if (!l_.string_sval.present()) return false;
  auto flags = type_flags_of(obj);
  return flags && (*flags & kPy2TpFlagsUnicodeSubclass);
}

bool RemoteObjects::is_py2_int(RemoteAddr obj) const {
  if (!l_.int_ival.present()) return false;
  auto flags = type_flags_of(obj);
  return flags && (*flags & kPy2TpFlagsIntSubclass);
}

// 2.7's PyUnicodeObject: `length` code units at `str` (Py_UNICODE: 4 bytes
// in UCS4 builds, 2 in UCS2 builds, whose surrogate pairs are left as two).
Result<StrContents> RemoteObjects::py2_unicode_contents(RemoteAddr obj,
                                                        size_t max_code_points) const {
  auto length = field(obj, l_.unicode_length);
  auto data = pointer_field(obj, l_.unicode_str);
  if (!length || !data) return make_error(ErrorKind::kUnreadable, "unicode unreadable");
  auto len = static_cast<int64_t>(*length);
  size_t unit = static_cast<size_t>(l_.unicode_char.size);
  if (len < 0 || (unit != 2 && unit != 4) || (len > 0 && data->is_null()))
    return make_error(ErrorKind::kCorrupt, "unicode invalid");
  StrContents s;
  s.length = static_cast<uint64_t>(len);
  size_t n = static_cast<size_t>(std::min<uint64_t>(s.length, max_code_points));
  std::vector<std::byte> raw(n * unit);
  if (!raw.empty() && !read_bytes(*data, 0, raw))
    return make_error(ErrorKind::kUnreadable, "unicode unreadable");
  s.code_points.resize(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t c = 0;
    std::memcpy(&c, raw.data() + i * unit, unit);  // little-endian
    s.code_points[i] = c;
  }
  return s;
}

Result<StrContents> RemoteObjects::str_contents(RemoteAddr obj, size_t max_code_points) const {
  auto unreadable = [] { return make_error(ErrorKind::kUnreadable, "str unreadable"); };
  auto invalid = [] { return make_error(ErrorKind::kCorrupt, "str invalid"); };
  if (l_.string_sval.present()) {
    if (is_py2_unicode(obj)) return py2_unicode_contents(obj, max_code_points);
    if (!is_py2_byte_string(obj)) return invalid();
    uint64_t len = 0;
    auto bytes = bytes_contents(obj, max_code_points, &len);
    if (!bytes) return bytes.error();
    StrContents s;
    s.length = len;
    for (std::byte b : *bytes) s.code_points.push_back(static_cast<uint8_t>(b));
    return s;
  }
  auto length = field(obj, l_.unicode_length);
  auto state = field(obj, l_.unicode_state);
  if (!length || !state) return unreadable();
  auto bits = [&](FieldLoc f) -> std::optional<uint64_t> {
    if (!f.present() || f.size <= 0 || f.size > 8 || f.offset + f.size > 64) return std::nullopt;
    return (*state >> f.offset) & ((f.size == 64 ? 0 : (1ull << f.size)) - 1);
  };
  auto kind = bits(l_.unicode_state_kind);
  auto compact = bits(l_.unicode_state_compact);
  auto ascii = bits(l_.unicode_state_ascii);
  if (!kind || !compact || !ascii) return invalid();
  if (l_.unicode_state_ready.present()) {
    auto ready = bits(l_.unicode_state_ready);
    if (!ready || *ready == 0) return invalid();  // legacy string never made ready
  }
  auto len = static_cast<int64_t>(*length);
  if (len < 0) return invalid();
  if (*kind != 1 && *kind != 2 && *kind != 4) return invalid();
  if (*ascii && *kind != 1) return invalid();
  RemoteAddr data;
  if (*compact) {
    FieldLoc f = *ascii ? l_.unicode_ascii_data : l_.unicode_compact_data;
    if (!f.present()) return invalid();
    auto a = checked_offset(obj, static_cast<uint64_t>(f.offset));
    if (!a) return unreadable();
    data = *a;
  } else {
    // Legacy PyUnicodeObject (<=3.11): data.any follows PyCompactUnicodeObject.
    if (!l_.unicode_compact_data.present()) return invalid();
    auto p = word(obj, static_cast<uint64_t>(l_.unicode_compact_data.offset));
    if (!p) return unreadable();
    if (*p == 0) return invalid();
    data = RemoteAddr(*p);
  }
  StrContents s;
  s.length = static_cast<uint64_t>(len);
  size_t n = static_cast<size_t>(std::min<uint64_t>(s.length, max_code_points));
  std::vector<std::byte> raw(n * *kind);
  if (!raw.empty() && !read_bytes(data, 0, raw)) return unreadable();
  s.code_points.resize(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t c = 0;
    std::memcpy(&c, raw.data() + i * *kind, *kind);  // little-endian
    s.code_points[i] = c;
  }
  return s;
}

Result<std::string> RemoteObjects::str_utf8(RemoteAddr obj, size_t max_code_points) const {
  if (is_py2_byte_string(obj)) {
    uint64_t len = 0;
    auto bytes = bytes_contents(obj, max_code_points, &len);
    if (!bytes) return bytes.error();
    std::string out(reinterpret_cast<const char*>(bytes->data()), bytes->size());
    if (len > bytes->size()) out += "\u2026";
    return out;
  }
  auto s = str_contents(obj, max_code_points);
  if (!s) return s.error();
  std::string out;
  for (uint32_t cp : s->code_points) append_utf8(out, cp);
  if (s->length > s->code_points.size()) out += "\u2026";
  return out;
}

Result<IntDigits> RemoteObjects::int_digits(RemoteAddr obj, size_t max_digits) const {
  auto unreadable = [] { return make_error(ErrorKind::kUnreadable, "int unreadable"); };
  auto invalid = [] { return make_error(ErrorKind::kCorrupt, "int invalid"); };
  IntDigits v;
  uint64_t ndigits = 0;
  if (is_py2_int(obj)) {
    // 2.7's PyIntObject: a C long, given as 30-bit digits like a long's.
    auto ival = field(obj, l_.int_ival);
    if (!ival || l_.int_ival.size != 8) return unreadable();
    auto value = static_cast<int64_t>(*ival);
    v.negative = value < 0;
    uint64_t magnitude =
        v.negative ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
    for (; magnitude != 0; magnitude >>= 30) v.digits.push_back(magnitude & ((1u << 30) - 1));
    if (v.digits.size() > max_digits) return make_error(ErrorKind::kUnsupported, "int too large");
    return v;
  }
  if (l_.long_lv_tag.present()) {
    auto tag = field(obj, l_.long_lv_tag);
    if (!tag) return unreadable();
    ndigits = *tag >> 3;
    uint64_t sign = *tag & 3;  // 0 positive, 1 zero, 2 negative
    if (sign == 3 || (sign == 1) != (ndigits == 0)) return invalid();
    v.negative = sign == 2;
  } else {
    auto size = field(obj, l_.varobject_size);
    if (!size) return unreadable();
    auto s = static_cast<int64_t>(*size);
    if (s == INT64_MIN) return invalid();
    v.negative = s < 0;
    ndigits = static_cast<uint64_t>(v.negative ? -s : s);
  }
  if (!l_.long_digits.present() || l_.long_digits.size != 4) return invalid();
  if (ndigits > max_digits) return make_error(ErrorKind::kUnsupported, "int too large");
  v.digits.resize(ndigits);
  if (ndigits > 0 && !read_bytes(obj, static_cast<uint64_t>(l_.long_digits.offset),
                                 std::as_writable_bytes(std::span(v.digits))))
    return unreadable();
  for (uint32_t d : v.digits)
    if (d >= (1u << 30)) return invalid();
  return v;
}

Result<std::vector<std::byte>> RemoteObjects::bytes_contents(RemoteAddr obj, size_t max_bytes,
                                                             uint64_t* length) const {
  auto size = field(obj, l_.varobject_size);
  if (!size) return make_error(ErrorKind::kUnreadable, "bytes unreadable");
  auto len = static_cast<int64_t>(*size);
  if (len < 0 || !l_.bytes_sval.present()) return make_error(ErrorKind::kCorrupt, "bytes invalid");
  if (length) *length = static_cast<uint64_t>(len);
  size_t n = static_cast<size_t>(std::min<uint64_t>(static_cast<uint64_t>(len), max_bytes));
  std::vector<std::byte> data(n);
  if (n > 0 && !read_bytes(obj, static_cast<uint64_t>(l_.bytes_sval.offset), data))
    return make_error(ErrorKind::kUnreadable, "bytes unreadable");
  return data;
}

}  // namespace corostack::python
