#pragma once
// Checked reads of CPython objects through a layout: the primitives the stack
// walker and the repr code share. Every address computation is overflow
// checked and every size read from the target is capped by the caller.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/remote_addr.hpp"
#include "base/result.hpp"
#include "python/python_layout.hpp"
#include "target/memory_reader.hpp"

namespace corostack::python {

std::optional<RemoteAddr> checked_offset(RemoteAddr a, uint64_t off);
std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b);

// The code points of a str, the first `max_code_points` of them, and its full length.
struct StrContents {
  std::vector<uint32_t> code_points;
  uint64_t length = 0;
};

// An int's 30-bit digits, least significant first, and its sign.
struct IntDigits {
  bool negative = false;
  std::vector<uint32_t> digits;
};

class RemoteObjects {
 public:
  RemoteObjects(const MemoryReader& mem, const PythonLayout& layout) : mem_(mem), l_(layout) {}

  const MemoryReader& memory() const { return mem_; }
  const PythonLayout& layout() const { return l_; }

  // `size` (1, 2, 4 or 8) bytes at base+off, little-endian, zero-extended.
  std::optional<uint64_t> read_uint(RemoteAddr base, uint64_t off, size_t size) const;
  std::optional<uint64_t> field(RemoteAddr obj, FieldLoc f) const;
  std::optional<RemoteAddr> pointer_field(RemoteAddr obj, FieldLoc f) const;
  std::optional<uint64_t> word(RemoteAddr a, uint64_t off = 0) const {
    return read_uint(a, off, 8);
  }
  bool read_bytes(RemoteAddr base, uint64_t off, std::span<std::byte> out) const;

  // Type name (tp_name of ob_type), printable ASCII with other bytes escaped.
  std::optional<std::string> type_name_of(RemoteAddr obj) const;
  std::optional<std::string> type_name(RemoteAddr type) const;

  // Python 2 (the layout has string_sval): `str` is a byte string
  // (PyStringObject) and `unicode` a PyUnicodeObject; these tell the two
  // apart by the type's fast-subclass flags, subclasses included. Always
  // false on Python 3.
  bool is_py2_byte_string(RemoteAddr obj) const;
  bool is_py2_unicode(RemoteAddr obj) const;
  // Python 2: whether obj is an `int` (PyIntObject, bool included).
  bool is_py2_int(RemoteAddr obj) const;

  // A str's contents. kUnreadable when memory is missing, kCorrupt when its
  // fields are impossible (unknown kind, negative length, ...). Python 2:
  // a `unicode`'s code units, or a byte string's bytes as code points 0-255.
  Result<StrContents> str_contents(RemoteAddr obj, size_t max_code_points) const;
  // A str as UTF-8 (surrogates become U+FFFD), cut at max_code_points; a cut
  // string ends in U+2026 "…" so the cut is visible (a 1 MB function name is
  // shown as its first max_code_points code points and "…").
  // Python 2: a byte string (co_name, co_filename, attribute names) is
  // passed through as is (cut at max_code_points bytes): renderers escape
  // what is not valid UTF-8.
  Result<std::string> str_utf8(RemoteAddr obj, size_t max_code_points) const;
  // An int's (or bool's; Python 2: also a PyIntObject's) digits. kUnreadable when memory is
  // missing, kCorrupt when its fields are impossible (bad sign bits, digit >= 2^30), kUnsupported
  // when it has more than max_digits digits.
  Result<IntDigits> int_digits(RemoteAddr obj, size_t max_digits) const;
  // A bytes object's first max_bytes bytes (and, in *length, its full size).
  Result<std::vector<std::byte>> bytes_contents(RemoteAddr obj, size_t max_bytes,
                                                uint64_t* length = nullptr) const;

 private:
  static constexpr size_t kMaxCachedTypeNames = 4096;
  std::optional<std::string> read_type_name(RemoteAddr type) const;
  std::optional<uint64_t> type_flags_of(RemoteAddr obj) const;
  Result<StrContents> py2_unicode_contents(RemoteAddr obj, size_t max_code_points) const;

  const MemoryReader& mem_;
  const PythonLayout& l_;
  mutable std::unordered_map<RemoteAddr, std::optional<std::string>> type_names_;
};

}  // namespace corostack::python
