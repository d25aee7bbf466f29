#include "python/dict_reader.hpp"

#include <algorithm>

namespace corostack::python {
namespace {

Error unreadable() {
  return make_error(ErrorKind::kUnreadable, "dict unreadable");
}
Error invalid() {
  return make_error(ErrorKind::kCorrupt, "dict invalid");
}

// Whether `obj` is a str equal to the ASCII `key`.
bool str_equals(const RemoteObjects& ro, RemoteAddr obj, std::string_view key) {
  auto s = ro.str_contents(obj, key.size());
  if (!s || s->length != key.size()) return false;
  for (size_t i = 0; i < key.size(); ++i)
    if (s->code_points[i] != static_cast<unsigned char>(key[i])) return false;
  auto type = ro.type_name_of(obj);
  return type && *type == "str";
}

}  // namespace

std::optional<DictHeader> read_dict_header(const RemoteObjects& ro, RemoteAddr dict) {
  const PythonLayout& l = ro.layout();
  if (l.dict_table.present()) {
    auto used = ro.field(dict, l.dict_used);
    auto mask = ro.field(dict, l.dict_mask);
    auto table = ro.field(dict, l.dict_table);
    if (!used || !mask || !table) return std::nullopt;
    DictHeader h;
    h.used = static_cast<int64_t>(*used);
    h.mask = *mask;
    h.table = RemoteAddr(*table);
    return h;
  }
  auto used = ro.field(dict, l.dict_used);
  auto keys = ro.field(dict, l.dict_keys);
  auto values = ro.field(dict, l.dict_values);
  if (!used || !keys || !values) return std::nullopt;
  DictHeader h;
  h.used = static_cast<int64_t>(*used);
  h.keys = RemoteAddr(*keys);
  h.values = RemoteAddr(*values);
  return h;
}

Result<DictTable> DictTable::open(const RemoteObjects& ro, RemoteAddr keys, RemoteAddr values) {
  const PythonLayout& l = ro.layout();
  if (keys.is_null()) return invalid();
  RemoteAddr dk = keys;
  // Number of index slots and bytes per index.
  uint64_t index_bytes = 0, slots = 0;
  bool unicode_entries = false;
  if (l.dictkeys_log2_size.present()) {
    auto log2_size = ro.field(dk, l.dictkeys_log2_size);
    auto log2_index_bytes = ro.field(dk, l.dictkeys_log2_index_bytes);
    auto kind = ro.field(dk, l.dictkeys_kind);
    if (!log2_size || !log2_index_bytes || !kind) return unreadable();
    if (*log2_size > 40 || *log2_index_bytes > *log2_size + 3 || *kind > 2) return invalid();
    index_bytes = 1ull << *log2_index_bytes;
    slots = 1ull << *log2_size;
    unicode_entries = *kind != 0;  // DICT_KEYS_UNICODE or DICT_KEYS_SPLIT
  } else {
    auto size = ro.field(dk, l.dictkeys_size);
    if (!size) return unreadable();
    uint64_t s = *size;
    if (s == 0 || (s & (s - 1)) != 0 || s > (1ull << 40)) return invalid();
    uint64_t ix = s <= 0xff ? 1 : s <= 0xffff ? 2 : s <= 0xffffffff ? 4 : 8;
    index_bytes = s * ix;
    slots = s;
  }
  FieldLoc entry = unicode_entries ? l.dictunicodeentry : l.dictentry;
  FieldLoc entry_key = unicode_entries ? l.dictunicodeentry_key : l.dictentry_key;
  FieldLoc entry_value = unicode_entries ? l.dictunicodeentry_value : l.dictentry_value;
  auto nentries = ro.field(dk, l.dictkeys_nentries);
  if (!nentries) return unreadable();
  if (!entry.present() || entry.size <= 0 || !entry_key.present() || !entry_value.present() ||
      !l.dictkeys_indices.present() || *nentries > slots)
    return invalid();
  auto entries_off =
      checked_offset(RemoteAddr(static_cast<uint64_t>(l.dictkeys_indices.offset)), index_bytes);
  if (!entries_off) return invalid();
  auto entries = checked_offset(dk, entries_off->value());
  if (!entries) return unreadable();

  DictTable t(ro);
  t.entries_ = *entries;
  t.entry_size_ = static_cast<uint64_t>(entry.size);
  t.key_off_ = static_cast<uint64_t>(entry_key.offset);
  t.value_off_ = static_cast<uint64_t>(entry_value.offset);
  t.nentries_ = *nentries;

  // Split tables: the values live apart, in key-entry order; 3.11+ iterate
  // them in the insertion order kept next to the values.
  t.split_ = !values.is_null();
  if (t.split_) {
    RemoteAddr split_values = values;
    uint64_t values_off = 0;
    if (l.dictvalues_values.present()) {
      values_off = static_cast<uint64_t>(l.dictvalues_values.offset);
      if (values_off == 0) {
        // 3.11-3.12: bytes before values[]: [-1] prefix size, [-2] count, [-3-i] order.
        if (split_values.value() < 3) return invalid();
        auto count = ro.read_uint(split_values - 2, 0, 1);
        if (!count) return unreadable();
        t.order_size_ = *count;
      } else {
        // 3.13+: {capacity, size, embedded, valid} then values[capacity], then the order.
        auto capacity = ro.read_uint(split_values, 0, 1);
        auto count = ro.read_uint(split_values, 1, 1);
        if (!capacity || !count) return unreadable();
        auto arr = checked_offset(split_values, values_off + *capacity * 8);
        if (!arr) return invalid();
        t.order_size_ = *count;
        t.order_array_ = *arr;
      }
    }
    auto v = checked_offset(split_values, values_off);
    if (!v) return invalid();
    t.split_values_ = *v;
  }
  return t;
}

Result<DictTable> DictTable::open(const RemoteObjects& ro, const DictHeader& header) {
  const PythonLayout& l = ro.layout();
  if (!l.dict_table.present()) return open(ro, header.keys, header.values);
  // 2.7: every slot is an entry; mask + 1 is a power of two (PyDict_MINSIZE 8 or more).
  const FieldLoc entry = l.dictentry;
  uint64_t slots = header.mask + 1;
  if (header.table.is_null() || slots < 8 || (slots & header.mask) != 0 || slots > (1ull << 40) ||
      !entry.present() || entry.size <= 0 || !l.dictentry_key.present() ||
      !l.dictentry_value.present())
    return invalid();
  DictTable t(ro);
  t.entries_ = header.table;
  t.entry_size_ = static_cast<uint64_t>(entry.size);
  t.key_off_ = static_cast<uint64_t>(l.dictentry_key.offset);
  t.value_off_ = static_cast<uint64_t>(l.dictentry_value.offset);
  t.nentries_ = slots;
  return t;
}

uint64_t DictTable::for_each(size_t max_items, const DictItemVisitor& visit) const {
  const RemoteObjects& ro = *ro_;
  uint64_t total = order_size_ ? std::min<uint64_t>(*order_size_, nentries_) : nentries_;
  total = std::min<uint64_t>(total, kMaxDictSlotsScanned);
  uint64_t visited = 0;
  for (uint64_t i = 0; i < total && visited < max_items; ++i) {
    uint64_t index = i;
    if (order_size_) {
      std::optional<uint64_t> ix;
      if (order_array_) {
        ix = ro.read_uint(*order_array_, i, 1);
      } else if (split_values_.value() >= 3 + i) {
        ix = ro.read_uint(RemoteAddr(split_values_.value() - 3 - i), 0, 1);
      }
      if (!ix) break;
      index = *ix;
    }
    auto eoff = checked_mul(index, entry_size_);
    auto e = eoff ? checked_offset(entries_, *eoff) : std::nullopt;
    if (!e) break;
    auto key = ro.word(*e, key_off_);
    std::optional<uint64_t> value;
    if (split_) {
      auto voff = checked_mul(index, 8);
      if (voff) value = ro.word(split_values_, *voff);
    } else {
      value = ro.word(*e, value_off_);
    }
    if (!key || !value) break;
    if (*key == 0 || *value == 0) continue;  // deleted or unused slot
    ++visited;
    if (!visit(RemoteAddr(*key), RemoteAddr(*value))) break;
  }
  return visited;
}

bool for_each_dict_item(const RemoteObjects& ro, RemoteAddr dict, size_t max_items,
                        const DictItemVisitor& visit) {
  auto h = read_dict_header(ro, dict);
  if (!h || h->used < 0) return false;
  if (h->used == 0) return true;
  auto table = DictTable::open(ro, *h);
  if (!table) return false;
  table->for_each(std::min<uint64_t>(max_items, static_cast<uint64_t>(h->used)), visit);
  return true;
}

std::optional<RemoteAddr> dict_table_get_str(const RemoteObjects& ro, const DictTable& table,
                                             std::string_view key) {
  // A bounded linear scan rather than a hash probe: it needs neither the
  // target's hash function nor the index table, and is what every other
  // walk of a dict does anyway.
  std::optional<RemoteAddr> found;
  table.for_each(kMaxDictSlotsScanned, [&](RemoteAddr k, RemoteAddr v) {
    if (!str_equals(ro, k, key)) return true;
    found = v;
    return false;
  });
  return found;
}

std::optional<RemoteAddr> dict_get_str(const RemoteObjects& ro, RemoteAddr dict,
                                       std::string_view key) {
  auto h = read_dict_header(ro, dict);
  if (!h || h->used <= 0) return std::nullopt;
  auto table = DictTable::open(ro, *h);
  if (!table) return std::nullopt;
  return dict_table_get_str(ro, *table, key);
}

}  // namespace corostack::python
