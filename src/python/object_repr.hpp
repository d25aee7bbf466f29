#pragma once
// Bounded, safe reprs of Python objects read from a target's memory, for
// showing locals. Every read is checked, every size read from the target is
// capped, and the output is bounded whatever the target holds.
//
// Output equals Python's own repr() for None, bool, int, float, str, bytes,
// tuple, list, dict, set and frozenset whose contents fit the caps (with the
// divergence in str printability noted below). Everything else, and
// subclasses of those types (their tp_name differs, or their type is a heap
// type), is shown as `<TypeName at 0x7f...>`.
//
// Markers (exactly):
// - str longer than max_string code points, bytes longer than max_string
//   bytes, int with more than max_string decimal digits: the first
//   max_string units as a complete repr, then U+2026 "…" right after it:
//   `'aaaa'…`, `b'\x00ab'…`, `1234…`.
// - a container with more than max_items items (or reached when the output
//   already holds max_output bytes): the items shown, then `...` as one more
//   item: `[1, 2, ...]`, `{1: 2, ...}`, `frozenset({1, ...})`, `(1, ...)`.
// - a non-empty container nested deeper than max_depth (the top object is
//   depth 0), or one already being printed (a cycle), is shown as Python
//   shows recursion: `[...]`, `(...)`, `{...}`, `set(...)`, `frozenset(...)`.
// - `<unreadable at 0x...>`: the object (or memory it points to) cannot be read.
// - `<TypeName at 0x... (invalid)>`: a builtin object whose fields are
//   impossible (negative size, unknown string kind, digit >= 2^30, ...).
// - `<NULL>`: a null pointer where an object was expected.
// - `<int at 0x... (too large)>`: more than kMaxIntDigits 30-bit digits.
//
// str printability: Python uses its Unicode database (str.isprintable). Here
// C0/C1 controls, DEL, U+00A0, U+00AD, surrogates, private use, noncharacters,
// the Zs/Zl/Zp separators other than space and the common Cf format
// characters are non-printable; other code points, including ones unassigned
// in Python's Unicode version, are printed as is (Python would escape
// unassigned ones).
#include <cstddef>
#include <string>

#include "base/remote_addr.hpp"
#include "python/python_layout.hpp"
#include "target/memory_reader.hpp"

namespace corostack::python {

struct ReprOptions {
  size_t max_string = 200;        // code points of a str, bytes of a bytes, digits of an int
  size_t max_items = 20;          // items of one container
  int max_depth = 3;              // containers nested deeper are shown as [...]
  size_t max_output = 16 * 1024;  // no new container item once the output is this long
};

// Ints with more 30-bit digits than this are not converted (about 9000 decimal digits).
inline constexpr size_t kMaxIntDigits = 1000;

std::string repr_object(const MemoryReader& mem, const PythonLayout& layout, RemoteAddr obj,
                        const ReprOptions& options = {});

}  // namespace corostack::python
