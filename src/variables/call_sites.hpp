#pragma once
// DWARF call-site information (DW_TAG_call_site, DWARF 5, and GCC's older
// DW_TAG_GNU_call_site): which call a return address belongs to, whom it
// calls, the values of its register arguments (for gdb's `@entry` values),
// and which calls are tail calls (for frames a `jmp` left off the stack).
#include <elfutils/libdw.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace corostack::variables {

// The call site in `function` (a subprogram, searched through its lexical
// blocks and inlined calls) whose return address is `return_pc` (a DWARF
// address: the module's bias removed). At most `max_dies` DIEs are visited.
std::optional<Dwarf_Die> call_site_at(Dwarf_Die function, Dwarf_Addr return_pc,
                                      size_t max_dies = 100000);

// The function a call site calls directly (DW_AT_call_origin, or
// DW_AT_abstract_origin for GNU call sites); nullopt for indirect calls.
std::optional<Dwarf_Die> call_site_callee(Dwarf_Die site);

// What identifies a function across units and modules: its linkage name
// when it has one (C++), else its name (C); the same string as the ELF
// symbol of its definition.
std::optional<std::string> function_key(Dwarf_Die function);

// The parameter of `site` passed in DWARF register `regno`, and the
// expression for its value in the caller's frame (DW_AT_call_value).
std::optional<Dwarf_Attribute> call_site_value(Dwarf_Die site, unsigned regno);

// The calls in `function` that are tail calls (DW_AT_call_tail_call /
// DW_AT_GNU_tail_call).
std::vector<Dwarf_Die> tail_call_sites(Dwarf_Die function, size_t max_dies = 100000);

// A location expression that names a single register (DW_OP_regN or
// DW_OP_regx N), as parameters at function entry and call-site parameters have.
std::optional<unsigned> single_register(const Dwarf_Op* ops, size_t nops);

}  // namespace corostack::variables
