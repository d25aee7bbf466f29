#pragma once
// libstdc++'s types as its gdb pretty printers (printers.py, GCC 12) show
// them: std::string and string_view as quoted text, `std::vector of length
// N, capacity M = {…}`, `std::unique_ptr<T> = {get() = 0x…}`,
// `std::shared_ptr<T> (use count N, weak count M) = {get() = 0x…}`,
// `std::optional<T> = {[contained value] = …}` / `[no contained value]`;
// list, map, set, unordered_map/set and deque through libstdcxx_containers.
// Members are found by name in DWARF, never at assumed offsets: a layout
// that does not match returns nullopt and the value prints as a plain struct.
#include <elfutils/libdw.h>

#include <optional>
#include <span>
#include <string>

namespace corostack::variables {

class ValuePrinter;

std::optional<std::string> print_libstdcxx(const ValuePrinter& printer, Dwarf_Die type,
                                           std::span<const uint8_t> bytes, int depth);

}  // namespace corostack::variables
