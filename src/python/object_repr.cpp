#include "python/object_repr.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "python/dict_reader.hpp"
#include "python/object_repr_text.hpp"
#include "python/remote_object.hpp"
#include "python/set_reader.hpp"

namespace corostack::python {
namespace {

constexpr uint64_t kMaxTableSlotsScanned = kMaxDictSlotsScanned;  // per set
constexpr uint64_t kTpFlagsHeapType = 1ull << 9;

std::string hex_addr(RemoteAddr a) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(a.value()));
  return buf;
}

class Repr {
 public:
  Repr(const MemoryReader& mem, const PythonLayout& layout, const ReprOptions& options)
      : ro_(mem, layout), l_(layout), opt_(options) {}

  std::string out;

  void object(RemoteAddr obj, int depth);

 private:
  std::optional<uint64_t> read_uint(RemoteAddr base, uint64_t off, size_t size) {
    return ro_.read_uint(base, off, size);
  }
  std::optional<uint64_t> field(RemoteAddr obj, FieldLoc f) { return ro_.field(obj, f); }
  std::optional<uint64_t> word(RemoteAddr a, uint64_t off = 0) { return ro_.word(a, off); }
  bool read_bytes(RemoteAddr base, uint64_t off, std::span<std::byte> out) {
    return ro_.read_bytes(base, off, out);
  }
  // Pointers stored inline at base+off, n of them.
  std::optional<std::vector<uint64_t>> read_words(RemoteAddr base, uint64_t off, size_t n) {
    std::vector<uint64_t> v(n);
    if (n == 0) return v;
    if (!read_bytes(base, off, std::as_writable_bytes(std::span(v)))) return std::nullopt;
    return v;
  }

  std::optional<std::string> type_name(RemoteAddr type) { return ro_.type_name(type); }
  void unreadable(RemoteAddr obj) { out += "<unreadable at " + hex_addr(obj) + ">"; }
  void invalid(std::string_view type, RemoteAddr obj) {
    out += "<" + std::string(type) + " at " + hex_addr(obj) + " (invalid)>";
  }
  bool budget_left() const { return out.size() < opt_.max_output; }
  bool active(RemoteAddr obj) const {
    return std::find(active_.begin(), active_.end(), obj.value()) != active_.end();
  }

  void int_object(RemoteAddr obj, bool as_bool);
  void float_object(RemoteAddr obj);
  void str_object(RemoteAddr obj);
  void py2_str_object(RemoteAddr obj);
  void bytes_object(RemoteAddr obj);
  void sequence(RemoteAddr obj, int depth, bool tuple);
  void dict_object(RemoteAddr obj, int depth);
  void set_object(RemoteAddr obj, int depth, bool frozen);

  RemoteObjects ro_;
  const PythonLayout& l_;
  const ReprOptions& opt_;
  std::vector<uint64_t> active_;  // containers being printed, for cycles
};

void Repr::object(RemoteAddr obj, int depth) {
  if (obj.is_null()) {
    out += "<NULL>";
    return;
  }
  auto type = field(obj, l_.object_type);
  if (!type) return unreadable(obj);
  auto name = type_name(RemoteAddr(*type));
  if (!name) return unreadable(obj);
  bool heap = false;
  if (auto flags = field(RemoteAddr(*type), l_.type_flags)) heap = (*flags & kTpFlagsHeapType) != 0;
  const std::string& n = *name;
  if (!heap && l_.string_sval.present()) {
    // The Python 2 object model: str is bytes, unicode is text, int and long differ.
    if (n == "str") return py2_str_object(obj);
    if (n == "unicode") return str_object(obj);
    if (n == "long") {
      size_t mark = out.size();
      int_object(obj, false);
      if (out.size() > mark && out.back() >= '0' && out.back() <= '9') out += 'L';
      return;
    }
  }
  if (!heap) {
    if (n == "NoneType") {
      out += "None";
      return;
    }
    if (n == "bool") return int_object(obj, true);
    if (n == "int") return int_object(obj, false);
    if (n == "float") return float_object(obj);
    if (n == "str") return str_object(obj);
    if (n == "bytes") return bytes_object(obj);
    if (n == "tuple") return sequence(obj, depth, true);
    if (n == "list") return sequence(obj, depth, false);
    if (n == "dict") return dict_object(obj, depth);
    if (n == "set") return set_object(obj, depth, false);
    if (n == "frozenset") return set_object(obj, depth, true);
  }
  out += "<" + n + " at " + hex_addr(obj) + ">";
}

void Repr::int_object(RemoteAddr obj, bool as_bool) {
  const char* tname = as_bool ? "bool" : "int";
  auto value = ro_.int_digits(obj, kMaxIntDigits);
  if (!value) {
    if (value.error().kind == ErrorKind::kUnsupported) {
      out += std::string("<") + tname + " at " + hex_addr(obj) + " (too large)>";
      return;
    }
    if (value.error().kind == ErrorKind::kCorrupt) return invalid(tname, obj);
    return unreadable(obj);
  }
  const std::vector<uint32_t>& digits = value->digits;
  bool negative = value->negative;
  if (as_bool) {
    bool zero = std::all_of(digits.begin(), digits.end(), [](uint32_t d) { return d == 0; });
    out += zero ? "False" : "True";
    return;
  }
  std::string dec = bigint_to_decimal(digits);
  if (negative && dec != "0") out += '-';
  if (dec.size() > opt_.max_string) {
    out += dec.substr(0, opt_.max_string);
    out += "…";
  } else {
    out += dec;
  }
}

void Repr::float_object(RemoteAddr obj) {
  auto bits = field(obj, l_.float_fval);
  if (!bits || l_.float_fval.size != 8) return unreadable(obj);
  double v;
  std::memcpy(&v, &*bits, sizeof(v));
  out += python_float_repr(v);
}

void Repr::str_object(RemoteAddr obj) {
  auto s = ro_.str_contents(obj, opt_.max_string);
  if (!s) {
    if (s.error().kind == ErrorKind::kCorrupt) return invalid("str", obj);
    return unreadable(obj);
  }
  out += l_.string_sval.present() ? python2_unicode_repr(s->code_points)
                                  : python_str_repr(s->code_points);
  if (s->length > s->code_points.size()) out += "…";
}

void Repr::py2_str_object(RemoteAddr obj) {
  uint64_t len = 0;
  auto data = ro_.bytes_contents(obj, opt_.max_string, &len);
  if (!data) {
    if (data.error().kind == ErrorKind::kCorrupt) return invalid("str", obj);
    return unreadable(obj);
  }
  std::vector<uint8_t> u(data->size());
  if (!u.empty()) std::memcpy(u.data(), data->data(), u.size());
  out += python2_str_repr(u);
  if (len > u.size()) out += "…";
}

void Repr::bytes_object(RemoteAddr obj) {
  uint64_t len = 0;
  auto data = ro_.bytes_contents(obj, opt_.max_string, &len);
  if (!data) {
    if (data.error().kind == ErrorKind::kCorrupt) return invalid("bytes", obj);
    return unreadable(obj);
  }
  std::vector<uint8_t> u(data->size());
  if (!u.empty()) std::memcpy(u.data(), data->data(), u.size());  // b'': data() may be null
  out += python_bytes_repr(u);
  if (len > u.size()) out += "…";
}

void Repr::sequence(RemoteAddr obj, int depth, bool tuple) {
  const char* tname = tuple ? "tuple" : "list";
  std::string_view open = tuple ? "(" : "[", close = tuple ? ")" : "]";
  auto size = field(obj, l_.varobject_size);
  if (!size) return unreadable(obj);
  auto len = static_cast<int64_t>(*size);
  FieldLoc items_field = tuple ? l_.tuple_item : l_.list_item;
  if (len < 0 || !items_field.present()) return invalid(tname, obj);
  if (len == 0) {
    out += open;
    out += close;
    return;
  }
  if (depth >= opt_.max_depth || active(obj)) {
    out += open;
    out += "...";
    out += close;
    return;
  }
  size_t n = static_cast<size_t>(std::min<uint64_t>(static_cast<uint64_t>(len), opt_.max_items));
  std::optional<std::vector<uint64_t>> items;
  if (tuple) {
    items = read_words(obj, static_cast<uint64_t>(items_field.offset), n);
  } else {
    auto array = field(obj, items_field);
    if (!array) return unreadable(obj);
    if (*array == 0) return invalid(tname, obj);
    items = read_words(RemoteAddr(*array), 0, n);
  }
  if (!items) return unreadable(obj);
  active_.push_back(obj.value());
  out += open;
  size_t shown = 0;
  for (; shown < n && budget_left(); ++shown) {
    if (shown > 0) out += ", ";
    object(RemoteAddr((*items)[shown]), depth + 1);
  }
  if (shown < static_cast<uint64_t>(len)) out += shown > 0 ? ", ..." : "...";
  if (tuple && len == 1 && shown == 1) out += ",";
  out += close;
  active_.pop_back();
}

void Repr::dict_object(RemoteAddr obj, int depth) {
  auto h = read_dict_header(ro_, obj);
  if (!h) return unreadable(obj);
  if (h->used < 0) return invalid("dict", obj);
  if (h->used == 0) {
    out += "{}";
    return;
  }
  if (depth >= opt_.max_depth || active(obj)) {
    out += "{...}";
    return;
  }
  auto table = DictTable::open(ro_, *h);
  if (!table) {
    if (table.error().kind == ErrorKind::kCorrupt) return invalid("dict", obj);
    return unreadable(obj);
  }
  active_.push_back(obj.value());
  out += "{";
  uint64_t shown = 0;
  table->for_each(static_cast<uint64_t>(h->used), [&](RemoteAddr key, RemoteAddr value) {
    if (shown >= opt_.max_items || !budget_left()) return false;
    if (shown > 0) out += ", ";
    object(key, depth + 1);
    out += ": ";
    object(value, depth + 1);
    ++shown;
    return true;
  });
  if (shown < static_cast<uint64_t>(h->used)) out += shown > 0 ? ", ..." : "...";
  out += "}";
  active_.pop_back();
}

void Repr::set_object(RemoteAddr obj, int depth, bool frozen) {
  const char* tname = frozen ? "frozenset" : "set";
  if (!l_.set_used.present()) return invalid(tname, obj);
  auto used = word(obj, static_cast<uint64_t>(l_.set_used.offset));
  if (!used) return unreadable(obj);
  if (static_cast<int64_t>(*used) < 0) return invalid(tname, obj);
  const bool py2 = l_.string_sval.present();  // Python 2: set([1, 2]), frozenset([])
  if (*used == 0) {
    out += tname;
    out += py2 ? "([])" : "()";
    return;
  }
  if (depth >= opt_.max_depth || active(obj)) {
    out += tname;
    out += "(...)";
    return;
  }
  active_.push_back(obj.value());
  size_t mark = out.size();
  out += py2 ? std::string(tname) + "([" : frozen ? "frozenset({" : "{";
  uint64_t shown = 0;
  bool stopped = false;
  SetWalk w = for_each_set_key(ro_, obj, kMaxTableSlotsScanned, [&](RemoteAddr key) {
    if (shown >= opt_.max_items || !budget_left()) {
      stopped = true;
      return false;
    }
    if (shown > 0) out += ", ";
    object(key, depth + 1);
    ++shown;
    return true;
  });
  if (!w.valid) {
    out.resize(mark);
    active_.pop_back();
    return invalid(tname, obj);
  }
  if (stopped || w.cut || shown < static_cast<uint64_t>(w.used)) out += shown > 0 ? ", ..." : "...";
  out += py2 ? "])" : frozen ? "})" : "}";
  active_.pop_back();
}

}  // namespace

std::string repr_object(const MemoryReader& mem, const PythonLayout& layout, RemoteAddr obj,
                        const ReprOptions& options) {
  Repr r(mem, layout, options);
  r.object(obj, 0);
  return std::move(r.out);
}

}  // namespace corostack::python
