#pragma once
// Prints a value of a DWARF-described type the way gdb prints it (`bt full`,
// `info locals`): integers, chars as `97 'a'`, bools, floats, enums by name,
// pointers (`char *` with its string, code and data pointers with their
// symbol), references as `@0x…: value`, structs, unions and arrays, and
// libstdc++'s containers as its pretty printers show them (see
// libstdcxx_printers). The bytes come from the target: every size, count and
// depth is bounded, and a pointer that cannot be followed is reported, not
// trusted.
#include <elfutils/libdw.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include "target/memory_reader.hpp"

namespace corostack::variables {

struct PrintLimits {
  int max_depth = 8;          // nested aggregates and followed references
  size_t max_elements = 200;  // array elements and string characters (gdb's `print elements`)
  size_t max_value_bytes = 1 << 16;  // a larger object is not read
  size_t max_output = 8192;          // characters of one printed value
  size_t repeat_threshold = 10;      // gdb's `print repeats`
};

// Which bytes of a value the location describes: one entry per byte, 1 when
// known. Empty means every byte is known. A variable split into pieces
// (registers, constants, stack slots) may lack some (an optimized-out piece):
// gdb then prints the members it has and `<optimized out>` for the others.
using KnownBytes = std::span<const uint8_t>;

// "name" or "name+off" for an address inside a symbol (functions, globals,
// vtables); nullopt when none covers it.
using SymbolLookup = std::function<std::optional<std::string>(uint64_t)>;

class ValuePrinter {
 public:
  ValuePrinter(const MemoryReader& memory, SymbolLookup symbols, PrintLimits limits = {})
      : memory_(memory), symbols_(std::move(symbols)), limits_(limits) {}

  // `bytes` is the object's representation, read from the target; `known`
  // says which of them the location described (empty: all).
  std::string print(Dwarf_Die type, std::span<const uint8_t> bytes, KnownBytes known = {}) const;

  // Reads sizeof(type) bytes at `address` and prints them.
  std::string print_at(Dwarf_Die type, uint64_t address) const;

  // The internals, for libstdcxx_printers.
  std::string print_value(Dwarf_Die type, std::span<const uint8_t> bytes, int depth,
                          KnownBytes known = {}) const;
  std::string print_pointer(Dwarf_Die pointee, uint64_t value) const;
  std::string print_string_at(uint64_t address, std::optional<uint64_t> length,
                              uint64_t char_size) const;
  std::string print_elements_at(Dwarf_Die element, uint64_t address, uint64_t count,
                                int depth) const;
  const MemoryReader& memory() const { return memory_; }
  // gdb's spelling of a type: `int`, `char *`, `const Bird &`, `std::string`.
  std::string type_name(Dwarf_Die type) const;
  // The type's name qualified by namespaces and classes, cached per DIE
  // (finding a DIE's parents walks its whole unit).
  const std::string& qualified_name(Dwarf_Die type) const;
  const PrintLimits& limits() const { return limits_; }

 private:
  std::string print_struct(Dwarf_Die type, std::span<const uint8_t> bytes, int depth,
                           KnownBytes known) const;
  std::string print_array(Dwarf_Die type, std::span<const uint8_t> bytes, int depth,
                          KnownBytes known) const;
  std::string print_elements(Dwarf_Die element, uint64_t element_size,
                             std::span<const uint8_t> bytes, uint64_t count, int depth,
                             KnownBytes known = {}) const;

  const MemoryReader& memory_;
  SymbolLookup symbols_;
  mutable std::unordered_map<const void*, std::string> names_;
  PrintLimits limits_;
};

// Chars as gdb quotes them: runs of more than `threshold` equal characters as
// `'x' <repeats N times>`, the rest in double quotes, octal escapes for
// anything but printable ASCII; `...` when `truncated`.
std::string quote_chars(std::span<const uint8_t> chars, size_t threshold, bool truncated);

}  // namespace corostack::variables
