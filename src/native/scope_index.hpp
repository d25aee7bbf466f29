#pragma once
// Which function (and which chain of inlined calls in it) contains a pc.
// dwarf_getscopes walks a whole compilation unit per query, which in C++
// units full of library declarations is most of the cost of a dump; this
// index walks each unit once, remembers its functions' address ranges, and
// answers each pc with a binary search and a short descent.
#include <elfutils/libdw.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace corostack {

class ScopeIndex {
 public:
  // DIEs from the innermost inlined_subroutine out to the containing
  // subprogram (the last element), for `pc` in the unit `cudie` (pc already
  // relative to the module's bias). Empty when no function covers pc.
  std::vector<Dwarf_Die> scopes(Dwarf_Die* cudie, Dwarf_Addr pc);

 private:
  struct FunctionRange {
    Dwarf_Addr low, high;  // [low, high)
    Dwarf_Die die;
  };
  using UnitIndex = std::vector<FunctionRange>;  // sorted by low

  const UnitIndex& unit(Dwarf_Die* cudie);

  // Keyed by the unit DIE's address in its Dwarf: unique while the Dwarf lives.
  std::unordered_map<const void*, UnitIndex> units_;
};

}  // namespace corostack
