#include "native/unit_lookup.hpp"

#include <algorithm>

namespace corostack {

Dwarf_Die* UnitLookup::unit_at(Dwfl_Module* module, Dwarf_Addr addr, Dwarf_Addr* bias) {
  Dwarf_Die* cudie = dwfl_module_addrdie(module, addr, bias);
  // Insist the unit covers addr: without aranges libdw may return a neighbour.
  if (cudie && dwarf_haspc(cudie, addr - *bias) > 0) return cudie;
  auto [it, fresh] = ranges_.try_emplace(module);
  if (fresh) {
    Dwarf_Addr cu_bias = 0;
    for (Dwarf_Die* cu = nullptr; (cu = dwfl_module_nextcu(module, cu, &cu_bias)) != nullptr;) {
      Dwarf_Addr base, low, high;
      ptrdiff_t off = 0;
      while ((off = dwarf_ranges(cu, off, &base, &low, &high)) > 0) {
        if (high > low) it->second.push_back(UnitRange{low, high, cu, cu_bias});
      }
    }
    std::sort(it->second.begin(), it->second.end(),
              [](const UnitRange& a, const UnitRange& b) { return a.low < b.low; });
  }
  for (const UnitRange& r : it->second) {
    if (addr >= r.bias && addr - r.bias >= r.low && addr - r.bias < r.high) {
      *bias = r.bias;
      return r.cu;
    }
  }
  return nullptr;
}

}  // namespace corostack
