#pragma once
// Finding what libstdc++'s printers need in a class's DWARF: data members by
// name (through base classes, along dotted paths like "_M_impl._M_start"),
// template arguments, a type's alignment, and words read out of an object's
// bytes. Nothing is assumed about offsets: what is not found is nullopt.
#include <elfutils/libdw.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace corostack::variables {

struct Member {
  uint64_t offset = 0;  // from the start of the object searched
  Dwarf_Die type;
};

// The data member `name` of `type`, directly or in a base class (depth first).
std::optional<Member> member(Dwarf_Die type, std::string_view name, int depth = 0);
// A dotted path of members ("_M_impl._M_start").
std::optional<Member> path(Dwarf_Die type, std::string_view dotted);
// The n-th template type parameter of a class.
std::optional<Dwarf_Die> template_argument(Dwarf_Die type, int n);
// Every template type parameter of a class, a parameter pack's expanded
// (variant<int, std::string>'s two), at most `max`.
std::vector<Dwarf_Die> template_arguments(Dwarf_Die type, size_t max = 64);
// `size` bytes (at most 8) at `off` of `bytes`, little-endian.
std::optional<uint64_t> word_at(std::span<const uint8_t> bytes, uint64_t off, uint64_t size = 8);
// alignof(type) as the compiler laid it out: DW_AT_alignment when given, else
// a scalar's size and a class's largest member or base alignment (1 to 16).
uint64_t type_alignment(Dwarf_Die type, int depth = 0);

}  // namespace corostack::variables
