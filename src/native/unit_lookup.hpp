#pragma once
// The compile unit that covers an address, for modules whose DWARF has no
// .debug_aranges (clang emits none): libdw 0.188's dwfl_module_addrdie only
// consults aranges, so for clang-built code it finds nothing (or a wrong
// neighbour). Falls back to a table of every unit's DW_AT_ranges/low-high
// pc, built once per module on first need.
#include <elfutils/libdwfl.h>

#include <unordered_map>
#include <vector>

namespace corostack {

class UnitLookup {
 public:
  // The unit containing `addr` (a runtime address in `module`), with its bias; null if none.
  Dwarf_Die* unit_at(Dwfl_Module* module, Dwarf_Addr addr, Dwarf_Addr* bias);

 private:
  struct UnitRange {
    Dwarf_Addr low, high;  // module-relative, [low, high)
    Dwarf_Die* cu;
    Dwarf_Addr bias;
  };
  std::unordered_map<Dwfl_Module*, std::vector<UnitRange>> ranges_;
};

}  // namespace corostack
