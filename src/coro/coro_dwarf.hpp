#pragma once
// Frame and promise layout of one coroutine from DWARF. The clones' DIEs are
// found by address (dwfl_module_addrdie + ScopeIndex); the frame type comes
// from, in order: the `__coro_frame` variable (clang) or `frame_ptr`
// parameter (GCC) of a clone, a frame struct nested in a clone or the ramp
// (`__coro_frame_ty` clang 14, `<ramp>.Frame` GCC), or the unit-level
// `<ramp>.coro_frame_ty` (clang >= 17). The promise type prefers the
// `__promise` variable, because clang 22 -O2 frame members have synthesised
// types.
#include <elfutils/libdwfl.h>

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "coro/coro_symbols.hpp"
#include "coro/coro_table.hpp"
#include "native/scope_index.hpp"
#include "native/unit_lookup.hpp"

namespace corostack::coro {

// The DIEs of one coroutine's functions. `bias` turns DWARF addresses into
// runtime addresses.
struct CoroDies {
  Dwarf_Addr bias = 0;
  std::optional<Dwarf_Die> cu;  // unit of the first clone found
  std::optional<Dwarf_Die> resume, destroy, cleanup, ramp;
  std::optional<Dwarf_Die> ramp_cu;  // unit of the ramp
  uint64_t ramp_addr = 0;            // runtime address
};

// Per-module DWARF lookups, cached across the coroutines of the module.
class ModuleDwarf {
 public:
  explicit ModuleDwarf(Dwfl_Module* module) : module_(module) {}

  Dwfl_Module* module() const { return module_; }

  // The subprogram containing runtime address `addr`, its unit and bias.
  bool subprogram_at(uint64_t addr, Dwarf_Die* subprogram, Dwarf_Die* cu, Dwarf_Addr* bias);

  // A unit-level structure type named `name` in `cu` (non-declaration).
  std::optional<Dwarf_Die> unit_struct(Dwarf_Die* cu, const std::string& name);

 private:
  // The unit whose ranges contain runtime address `addr`.
  Dwarf_Die* unit_at(uint64_t addr, Dwarf_Addr* bias);

  Dwfl_Module* module_;
  UnitLookup units_;  // clang emits no .debug_aranges: libdw alone cannot place pcs
  ScopeIndex scopes_;
  // Per unit: the frame-type-like structs at its top level, by name.
  std::unordered_map<const void*, std::unordered_map<std::string, Dwarf_Die>> unit_structs_;
};

CoroDies locate_coroutine_dies(ModuleDwarf& dwarf, const CoroSymbols& symbols);

// Fills frame_type/size, promise_*, index, self_handle_offset,
// continuation_offset and decl_file/line. Leaves fields it cannot find at
// their defaults.
void read_coroutine_layout(ModuleDwarf& dwarf, const CoroDies& dies, const CoroSymbols& symbols,
                           const CoroTableOptions& options, CoroutineInfo& info);

}  // namespace corostack::coro
