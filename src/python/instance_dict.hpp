#pragma once
// Where a Python instance keeps its attributes (its __dict__), per CPython
// version, read from outside. Verified against the headers of the builds the
// layout tables come from (~/.pyenv/versions/3.X/include/python3.X) and
// CPython's Objects/object_layout.md:
//
// - <=3.10: the type's tp_dictoffset. Positive: obj + offset holds the
//   PyDictObject* (or NULL). Negative offsets count from the end of a
//   variable-size object (_PyObject_GetDictPtr); those are not read here.
// - 3.11 (internal/pycore_object.h): types with Py_TPFLAGS_MANAGED_DICT
//   (1 << 4) keep two words before the GC header: _PyObject_ManagedDictPointer
//   is ((PyObject **)obj)-3 and _PyObject_ValuesPointer
//   ((PyDictValues **)obj)-4. With no dict object the attributes are a split
//   table: those values with the type's ht_cached_keys (CACHED_KEYS).
// - 3.12 (internal/pycore_object.h): one tagged word instead,
//   _PyObject_DictOrValuesPointer = ((PyDictOrValues *)obj)-3. Low bit set
//   (_PyDictOrValues_IsValues): values, recovered as `word + 1`
//   (_PyDictOrValues_GetValues returns dorv.values + 1; SetValues stores
//   values - 1). Low bit clear: the dict pointer.
// - 3.13 (internal/pycore_object.h): MANAGED_DICT_OFFSET is -3 words (GIL
//   builds), holding the dict object or NULL. Without one, types with
//   Py_TPFLAGS_INLINE_VALUES (1 << 2) have the PyDictValues inline, right
//   after the object (object_layout.md: "the inline values starts
//   tp_basicsize bytes after the object"; 3.13.0's _PyObject_InlineValues
//   asserts tp_basicsize == sizeof(PyObject)), valid only while its `valid`
//   byte (struct _dictvalues {capacity, size, embedded, valid}) is nonzero,
//   as _testinternalcapi's has_inline_values checks.
//
// The pre-header is not a struct member the DWARF-generated layout tables
// can describe, so the scheme is chosen by the table's version here, in one
// place (instance_dict.cpp, managed_scheme).
#include <optional>
#include <string_view>

#include "base/remote_addr.hpp"
#include "python/remote_object.hpp"

namespace corostack::python {

// An instance's attributes: a dict object, or (3.11+) values without one,
// whose keys the type shares.
struct InstanceDict {
  RemoteAddr dict;    // PyDictObject*; null when the attributes are keys + values
  RemoteAddr keys;    // when dict is null: the type's ht_cached_keys
  RemoteAddr values;  // and the PyDictValues* (what ma_values would point at)
};

// nullopt when the instance has no __dict__ (or none that can be found or
// read, or a negative tp_dictoffset).
std::optional<InstanceDict> find_instance_dict(const RemoteObjects& ro, RemoteAddr obj);

// The value of the instance attribute `name` (an ASCII str key) kept in the
// instance's __dict__, or nullopt. Class attributes and descriptors are not
// looked at.
std::optional<RemoteAddr> instance_attr_str(const RemoteObjects& ro, RemoteAddr obj,
                                            std::string_view name);

}  // namespace corostack::python
