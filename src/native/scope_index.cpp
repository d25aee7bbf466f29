#include "native/scope_index.hpp"

#include <dwarf.h>

#include <algorithm>

namespace corostack {
namespace {

// Bounds on what one hostile or enormous unit can cost us.
constexpr int kMaxNesting = 64;
constexpr size_t kMaxDiesPerUnit = 4'000'000;
constexpr int kMaxInlineDepth = 64;

// Tags whose children may hold function definitions. Types are skipped: an
// in-class member function body is emitted at namespace level, not inside
// the class DIE, in both GCC and Clang output.
bool may_contain_functions(int tag) {
  return tag == DW_TAG_namespace || tag == DW_TAG_module || tag == DW_TAG_compile_unit ||
         tag == DW_TAG_partial_unit;
}

void collect(Dwarf_Die* parent, int depth, size_t& budget, std::vector<Dwarf_Die>& out) {
  if (depth > kMaxNesting) return;
  Dwarf_Die child;
  if (dwarf_child(parent, &child) != 0) return;
  do {
    if (budget == 0) return;
    --budget;
    int tag = dwarf_tag(&child);
    if (tag == DW_TAG_subprogram) {
      out.push_back(child);
    } else if (may_contain_functions(tag)) {
      collect(&child, depth + 1, budget, out);
    }
  } while (dwarf_siblingof(&child, &child) == 0);
}

bool is_scope_with_code(int tag) {
  return tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block ||
         tag == DW_TAG_try_block || tag == DW_TAG_catch_block;
}

}  // namespace

const ScopeIndex::UnitIndex& ScopeIndex::unit(Dwarf_Die* cudie) {
  auto [it, inserted] = units_.try_emplace(cudie->addr);
  if (!inserted) return it->second;
  std::vector<Dwarf_Die> functions;
  size_t budget = kMaxDiesPerUnit;
  collect(cudie, 0, budget, functions);
  UnitIndex& index = it->second;
  for (Dwarf_Die& f : functions) {
    Dwarf_Addr base, low, high;
    ptrdiff_t off = 0;
    // Functions split into hot and cold parts have several ranges.
    while ((off = dwarf_ranges(&f, off, &base, &low, &high)) > 0) {
      if (high > low) index.push_back(FunctionRange{low, high, f});
    }
  }
  std::sort(index.begin(), index.end(),
            [](const FunctionRange& a, const FunctionRange& b) { return a.low < b.low; });
  return index;
}

std::vector<Dwarf_Die> ScopeIndex::scopes(Dwarf_Die* cudie, Dwarf_Addr pc) {
  const UnitIndex& index = unit(cudie);
  auto it = std::upper_bound(index.begin(), index.end(), pc,
                             [](Dwarf_Addr a, const FunctionRange& r) { return a < r.low; });
  // Ranges of distinct functions do not overlap; look at the closest one below.
  if (it == index.begin()) return {};
  --it;
  if (pc >= it->high) return {};

  std::vector<Dwarf_Die> chain{it->die};  // outermost first while descending
  Dwarf_Die current = it->die;
  for (int depth = 0; depth < kMaxInlineDepth * 4; ++depth) {
    Dwarf_Die child;
    bool descended = false;
    if (dwarf_child(&current, &child) == 0) {
      do {
        if (is_scope_with_code(dwarf_tag(&child)) && dwarf_haspc(&child, pc) > 0) {
          if (dwarf_tag(&child) == DW_TAG_inlined_subroutine) chain.push_back(child);
          current = child;
          descended = true;
          break;
        }
      } while (dwarf_siblingof(&child, &child) == 0);
    }
    if (!descended || chain.size() > static_cast<size_t>(kMaxInlineDepth)) break;
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

}  // namespace corostack
