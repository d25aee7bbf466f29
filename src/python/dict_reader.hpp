#pragma once
// The one reader of CPython dicts (2.7 and every 3.6-3.13 layout): 2.7's
// open-addressing PyDictEntry table (deleted slots: the dummy key with a NULL
// value; visited in table order, 2.7's iteration order), combined tables,
// split tables (ma_values), 3.11+ unicode-keyed entries and the 3.11/3.12
// and 3.13 PyDictValues layouts. Used by the repr code (object_repr.cpp),
// lookups by str key and instance __dict__s (instance_dict.hpp). Every read
// is checked and every walk is bounded: at most kMaxDictSlotsScanned entry
// slots and the caller's item limit. Layout details: docs/python-layouts.md.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "base/remote_addr.hpp"
#include "base/result.hpp"
#include "python/remote_object.hpp"

namespace corostack::python {

// Entry slots scanned per dict at most, whatever the dict says.
inline constexpr uint64_t kMaxDictSlotsScanned = 1 << 16;

// The fields of a PyDictObject.
struct DictHeader {
  int64_t used = 0;   // ma_used (negative only when corrupt)
  RemoteAddr keys;    // ma_keys
  RemoteAddr values;  // ma_values: null for a combined table
  // 2.7 (the layout has dict_table): no keys object; ma_table holds the
  // PyDictEntry slots (ma_smalltable inside the dict while small), ma_mask + 1 of them.
  RemoteAddr table;
  uint64_t mask = 0;
};
// nullopt when the object cannot be read.
std::optional<DictHeader> read_dict_header(const RemoteObjects& ro, RemoteAddr dict);

// Visit one item; return false to stop.
using DictItemVisitor = std::function<bool(RemoteAddr key, RemoteAddr value)>;

// The entries of a PyDictKeysObject and, for a split table, the values that
// go with them: what ma_values points at (<=3.10 a PyObject*[], 3.11+ a
// PyDictValues*), which is also what a managed or inline __dict__ without a
// dict object holds (instance_dict.hpp).
class DictTable {
 public:
  // kUnreadable when the keys (or the values' header) cannot be read,
  // kCorrupt when their fields are impossible.
  static Result<DictTable> open(const RemoteObjects& ro, RemoteAddr keys, RemoteAddr values);
  // The table of a dict object, whichever kind its header describes.
  static Result<DictTable> open(const RemoteObjects& ro, const DictHeader& header);

  // Visits live items (non-null key and value) in dict order: at most
  // max_items of them, over at most kMaxDictSlotsScanned slots. Stops at the
  // first entry that cannot be read or when visit returns false. Returns the
  // number of items visited.
  uint64_t for_each(size_t max_items, const DictItemVisitor& visit) const;

 private:
  DictTable(const RemoteObjects& ro) : ro_(&ro) {}

  const RemoteObjects* ro_;
  RemoteAddr entries_;                     // first entry, after dk_indices
  uint64_t entry_size_ = 0;                // bytes per entry
  uint64_t key_off_ = 0;                   // of me_key in an entry
  uint64_t value_off_ = 0;                 // of me_value in an entry (combined tables)
  uint64_t nentries_ = 0;                  // dk_nentries
  bool split_ = false;                     // values come from split_values_
  RemoteAddr split_values_;                // values[0] of a split table
  std::optional<uint64_t> order_size_;     // 3.11+ split: entries in insertion order
  std::optional<RemoteAddr> order_array_;  // 3.13+: the order bytes (3.11-3.12: before values[])
};

// Visits the live items of the dict object at `dict` in dict order (see
// DictTable::for_each); at most min(max_items, ma_used) of them. False when
// the dict's header or table cannot be read or is invalid (nothing visited);
// true otherwise, even if the walk was cut short.
bool for_each_dict_item(const RemoteObjects& ro, RemoteAddr dict, size_t max_items,
                        const DictItemVisitor& visit);

// The value for the str key equal to `key` (compared by content; keys of
// other types never match), or nullopt when absent or unreadable. At most
// kMaxDictSlotsScanned entries are examined.
std::optional<RemoteAddr> dict_get_str(const RemoteObjects& ro, RemoteAddr dict,
                                       std::string_view key);
std::optional<RemoteAddr> dict_table_get_str(const RemoteObjects& ro, const DictTable& table,
                                             std::string_view key);

}  // namespace corostack::python
