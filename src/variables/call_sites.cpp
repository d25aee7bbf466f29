#include "variables/call_sites.hpp"

#include <dwarf.h>

#include <functional>

namespace corostack::variables {
namespace {

constexpr int kMaxNesting = 64;

bool is_call_site(int tag) {
  return tag == DW_TAG_call_site || tag == DW_TAG_GNU_call_site;
}

bool is_nested_scope(int tag) {
  return tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine ||
         tag == DW_TAG_try_block || tag == DW_TAG_catch_block;
}

// Visits the call sites under `die`; `visit` returns true to stop.
bool each_call_site(Dwarf_Die* die, int depth, size_t& budget,
                    const std::function<bool(Dwarf_Die&)>& visit) {
  if (depth > kMaxNesting) return false;
  Dwarf_Die child;
  if (dwarf_child(die, &child) != 0) return false;
  do {
    if (budget == 0) return true;
    --budget;
    int tag = dwarf_tag(&child);
    if (is_call_site(tag)) {
      if (visit(child)) return true;
    } else if (is_nested_scope(tag)) {
      if (each_call_site(&child, depth + 1, budget, visit)) return true;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  return false;
}

bool site_flag(Dwarf_Die* die, unsigned at) {
  Dwarf_Attribute a;
  bool f = false;
  return dwarf_attr(die, at, &a) && dwarf_formflag(&a, &f) == 0 && f;
}

std::optional<Dwarf_Addr> return_pc(Dwarf_Die* site) {
  Dwarf_Attribute a;
  Dwarf_Addr pc;
  // DWARF 5 names the return address; GNU call sites use low_pc for it.
  if (dwarf_attr(site, DW_AT_call_return_pc, &a) && dwarf_formaddr(&a, &pc) == 0) return pc;
  if (dwarf_tag(site) == DW_TAG_GNU_call_site && dwarf_attr(site, DW_AT_low_pc, &a) &&
      dwarf_formaddr(&a, &pc) == 0)
    return pc;
  return std::nullopt;
}

}  // namespace

std::optional<Dwarf_Die> call_site_at(Dwarf_Die function, Dwarf_Addr pc, size_t max_dies) {
  std::optional<Dwarf_Die> found;
  size_t budget = max_dies;
  each_call_site(&function, 0, budget, [&](Dwarf_Die& site) {
    auto r = return_pc(&site);
    if (!r || *r != pc) return false;
    found = site;
    return true;
  });
  return found;
}

std::optional<Dwarf_Die> call_site_callee(Dwarf_Die site) {
  Dwarf_Attribute a;
  Dwarf_Die callee;
  if ((dwarf_attr(&site, DW_AT_call_origin, &a) || dwarf_attr(&site, DW_AT_abstract_origin, &a)) &&
      dwarf_formref_die(&a, &callee))
    return callee;
  return std::nullopt;
}

std::optional<std::string> function_key(Dwarf_Die function) {
  Dwarf_Attribute a;
  for (unsigned at : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name, DW_AT_name}) {
    if (dwarf_attr_integrate(&function, at, &a)) {
      if (const char* s = dwarf_formstring(&a)) return std::string(s);
    }
  }
  return std::nullopt;
}

std::optional<unsigned> single_register(const Dwarf_Op* ops, size_t nops) {
  if (nops != 1) return std::nullopt;
  if (ops[0].atom >= DW_OP_reg0 && ops[0].atom <= DW_OP_reg31) return ops[0].atom - DW_OP_reg0;
  if (ops[0].atom == DW_OP_regx && ops[0].number < 128) return static_cast<unsigned>(ops[0].number);
  return std::nullopt;
}

std::optional<Dwarf_Attribute> call_site_value(Dwarf_Die site, unsigned regno) {
  Dwarf_Die child;
  if (dwarf_child(&site, &child) != 0) return std::nullopt;
  size_t budget = 256;
  do {
    int tag = dwarf_tag(&child);
    if (tag != DW_TAG_call_site_parameter && tag != DW_TAG_GNU_call_site_parameter) continue;
    Dwarf_Attribute loc;
    Dwarf_Op* ops;
    size_t nops;
    if (!dwarf_attr(&child, DW_AT_location, &loc) || dwarf_getlocation(&loc, &ops, &nops) != 0)
      continue;
    if (single_register(ops, nops) != regno) continue;
    Dwarf_Attribute value;
    if (dwarf_attr(&child, DW_AT_call_value, &value) ||
        dwarf_attr(&child, DW_AT_GNU_call_site_value, &value))
      return value;
    return std::nullopt;
  } while (--budget > 0 && dwarf_siblingof(&child, &child) == 0);
  return std::nullopt;
}

std::vector<Dwarf_Die> tail_call_sites(Dwarf_Die function, size_t max_dies) {
  std::vector<Dwarf_Die> out;
  size_t budget = max_dies;
  each_call_site(&function, 0, budget, [&](Dwarf_Die& site) {
    if (site_flag(&site, DW_AT_call_tail_call) || site_flag(&site, DW_AT_GNU_tail_call))
      out.push_back(site);
    return out.size() >= 1024;
  });
  return out;
}

}  // namespace corostack::variables
