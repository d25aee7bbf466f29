#include "python/instance_dict.hpp"

#include "python/dict_reader.hpp"

namespace corostack::python {
namespace {

constexpr uint64_t kTpFlagsInlineValues = 1ull << 2;  // 3.13+
constexpr uint64_t kTpFlagsManagedDict = 1ull << 4;   // 3.11+
constexpr uint64_t kTpFlagsHeapType = 1ull << 9;
constexpr uint64_t kWord = 8;
constexpr uint64_t kManagedDictOffset = 3 * kWord;    // obj - 3 words, 3.11+
constexpr uint64_t kManagedValuesOffset = 4 * kWord;  // obj - 4 words, 3.11 only
constexpr uint64_t kDictValuesValidByte = 3;          // PyDictValues.valid, 3.13+

enum class ManagedScheme {
  kNone,                 // <=3.10: tp_dictoffset only
  kDictAndValues,        // 3.11: dict at -3 words, values at -4
  kDictOrValues,         // 3.12: one tagged word at -3
  kDictAndInlineValues,  // 3.13+: dict at -3, values inline after the object
};

ManagedScheme managed_scheme(const PythonLayout& l) {
  if (l.major != 3 || l.minor <= 10) return ManagedScheme::kNone;
  if (l.minor == 11) return ManagedScheme::kDictAndValues;
  if (l.minor == 12) return ManagedScheme::kDictOrValues;
  return ManagedScheme::kDictAndInlineValues;
}

std::optional<RemoteAddr> word_before(const RemoteObjects& ro, RemoteAddr obj, uint64_t back) {
  if (obj.value() < back) return std::nullopt;
  auto w = ro.word(obj - back);
  if (!w) return std::nullopt;
  return RemoteAddr(*w);
}

// Values without a dict object: keys from the (heap) type's ht_cached_keys.
std::optional<InstanceDict> shared_keys(const RemoteObjects& ro, RemoteAddr type, uint64_t flags,
                                        RemoteAddr values) {
  if ((flags & kTpFlagsHeapType) == 0 || values.is_null()) return std::nullopt;
  auto keys = ro.pointer_field(type, ro.layout().heaptype_cached_keys);
  if (!keys || keys->is_null()) return std::nullopt;
  return InstanceDict{RemoteAddr(), *keys, values};
}

std::optional<InstanceDict> dict_object(RemoteAddr dict) {
  if (dict.is_null()) return std::nullopt;
  return InstanceDict{dict, RemoteAddr(), RemoteAddr()};
}

}  // namespace

std::optional<InstanceDict> find_instance_dict(const RemoteObjects& ro, RemoteAddr obj) {
  const PythonLayout& l = ro.layout();
  auto type = ro.pointer_field(obj, l.object_type);
  if (!type || type->is_null()) return std::nullopt;
  auto flags = ro.field(*type, l.type_flags);
  if (!flags) return std::nullopt;
  ManagedScheme scheme = managed_scheme(l);
  if (scheme != ManagedScheme::kNone && (*flags & kTpFlagsManagedDict) != 0) {
    // A free-threaded build has no PyGC_Head in the pre-header, so the dict
    // is the word right before the object (MANAGED_DICT_OFFSET, -1 word with
    // Py_GIL_DISABLED: Include/internal/pycore_object.h, v3.14.7).
    auto first = word_before(ro, obj, l.free_threaded ? kWord : kManagedDictOffset);
    if (!first) return std::nullopt;
    switch (scheme) {
      case ManagedScheme::kDictAndValues: {
        if (!first->is_null()) return dict_object(*first);
        auto values = word_before(ro, obj, kManagedValuesOffset);
        if (!values) return std::nullopt;
        return shared_keys(ro, *type, *flags, *values);
      }
      case ManagedScheme::kDictOrValues:
        if ((first->value() & 1) != 0)
          return shared_keys(ro, *type, *flags, RemoteAddr(first->value() + 1));
        return dict_object(*first);
      case ManagedScheme::kDictAndInlineValues: {
        if (!first->is_null()) return dict_object(*first);
        if ((*flags & kTpFlagsInlineValues) == 0) return std::nullopt;
        auto basicsize = ro.field(*type, l.type_basicsize);
        if (!basicsize || static_cast<int64_t>(*basicsize) <= 0) return std::nullopt;
        auto values = checked_offset(obj, *basicsize);
        if (!values) return std::nullopt;
        auto valid = ro.read_uint(*values, kDictValuesValidByte, 1);
        if (!valid || *valid == 0) return std::nullopt;
        return shared_keys(ro, *type, *flags, *values);
      }
      case ManagedScheme::kNone:
        break;
    }
    return std::nullopt;
  }
  auto offset = ro.field(*type, l.type_dictoffset);
  if (!offset) return std::nullopt;
  auto off = static_cast<int64_t>(*offset);
  // 0: no __dict__; negative: counted from the end of a variable-size object, not handled.
  if (off <= 0 || off > INT32_MAX) return std::nullopt;
  auto dict = ro.pointer_field(obj, FieldLoc{static_cast<int32_t>(off), 8});
  if (!dict) return std::nullopt;
  return dict_object(*dict);
}

std::optional<RemoteAddr> instance_attr_str(const RemoteObjects& ro, RemoteAddr obj,
                                            std::string_view name) {
  auto d = find_instance_dict(ro, obj);
  if (!d) return std::nullopt;
  if (!d->dict.is_null()) return dict_get_str(ro, d->dict, name);
  auto table = DictTable::open(ro, d->keys, d->values);
  if (!table) return std::nullopt;
  return dict_table_get_str(ro, *table, name);
}

}  // namespace corostack::python
