#pragma once
// libstdc++'s node-based and segmented containers as its gdb pretty printers
// (printers.py, GCC 12) show them:
//   std::__cxx11::list = {[0] = 1, [1] = 2}          empty std::__cxx11::list
//   std::map with 2 elements = {[1] = "one", [2] = "two"}   (multimap too)
//   std::set with 2 elements = {[0] = 1, [1] = 2}           (multiset too)
//   std::unordered_map with 2 elements = {[3] = 30, [1] = 10}  (and _set, _multi*)
//   std::deque with 3 elements = {1, 2, 3}
// Only the object's bytes are known, not its address, so each walk is
// bounded by the element count the container keeps (and PrintLimits), never
// by reaching its header again. Node layouts come from DWARF where the
// container's own members describe them; the value's place in a node is the
// node base's size rounded up to the value's alignment, as libstdc++ lays
// out its __aligned_membuf.
#include <elfutils/libdw.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace corostack::variables {

class ValuePrinter;

// `name` is the type's qualified name; nullopt when it is none of these or
// its layout is not the one expected (then it prints as a plain struct).
std::optional<std::string> print_libstdcxx_container(const ValuePrinter& printer, Dwarf_Die type,
                                                     std::string_view name,
                                                     std::span<const uint8_t> bytes, int depth);

}  // namespace corostack::variables
