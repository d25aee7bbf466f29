#pragma once
// Small DWARF type helpers for the coroutine table: names, sizes, alignment
// and member lookup (through base classes). Everything takes DIEs from a
// module's own debug info, which may be partial, so lookups return nullopt
// instead of guessing.
#include <elfutils/libdw.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corostack::coro {

// An unsigned attribute, following DW_AT_abstract_origin/specification.
std::optional<uint64_t> die_udata(Dwarf_Die* die, unsigned int at);
// A flag attribute (DW_AT_declaration, DW_AT_external...), the same way.
bool die_flag(Dwarf_Die* die, unsigned int at);

// DW_AT_name, or "" when absent.
std::string_view die_name(Dwarf_Die* die);

// DW_AT_decl_file, following DW_AT_specification / DW_AT_abstract_origin
// when the DIE has none (libdw 0.188's dwarf_decl_file returns NULL for a
// clang out-of-class member definition). nullptr when unknown.
const char* decl_file(Dwarf_Die* die);

// The DIE that DW_AT_type of `die` refers to.
std::optional<Dwarf_Die> die_type(Dwarf_Die* die);

// Follows typedefs and cv-qualifiers to the underlying type.
Dwarf_Die strip_typedefs(Dwarf_Die type);

// Like strip_typedefs, then one level of pointer/reference (and typedefs again).
Dwarf_Die strip_pointer(Dwarf_Die type);

// "task::promise_type": the name qualified by enclosing namespaces and
// classes (not by enclosing functions).
std::string qualified_name(Dwarf_Die* type);

std::optional<uint64_t> type_size(Dwarf_Die* type);

// DW_AT_alignment when present, else the natural alignment computed from the
// members (base types align to their size, capped at 16).
uint64_t type_alignment(Dwarf_Die* type);

// DW_AT_data_member_location of a member or inheritance entry (0 for union
// members and other entries without one).
std::optional<uint64_t> member_offset(Dwarf_Die* member);

// The direct data member named `name` of a struct/class/union.
std::optional<Dwarf_Die> find_direct_member(Dwarf_Die* type, std::string_view name);

// Offset of the member path `dotted` ("continuation", "customizer.continuation")
// from the start of `type`, searching direct members first, then anonymous
// members and base classes (DW_TAG_inheritance), depth first.
std::optional<uint64_t> find_member_path(Dwarf_Die type, std::string_view dotted);

}  // namespace corostack::coro
