#include "variables/dwarf_members.hpp"

#include <dwarf.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "coro/dwarf_types.hpp"

namespace corostack::variables {

using coro::die_name;
using coro::die_type;
using coro::strip_typedefs;
using coro::type_size;

namespace {

constexpr int kMaxBaseDepth = 8;

bool is_data_member(Dwarf_Die* d) {
  Dwarf_Attribute a;
  bool f = false;
  bool external = dwarf_attr(d, DW_AT_external, &a) && dwarf_formflag(&a, &f) == 0 && f;
  return dwarf_tag(d) == DW_TAG_member && !external;
}

}  // namespace

// The data member `name` of `type`, directly or in a base class (depth first).
std::optional<Member> member(Dwarf_Die type, std::string_view name, int depth) {
  if (depth > kMaxBaseDepth) return std::nullopt;
  Dwarf_Die child;
  if (dwarf_child(&type, &child) != 0) return std::nullopt;
  std::vector<Dwarf_Die> bases;
  do {
    if (is_data_member(&child) && die_name(&child) == name) {
      auto t = die_type(&child);
      if (!t) return std::nullopt;
      return Member{coro::member_offset(&child).value_or(0), *t};
    }
    if (dwarf_tag(&child) == DW_TAG_inheritance) bases.push_back(child);
  } while (dwarf_siblingof(&child, &child) == 0);
  for (Dwarf_Die& b : bases) {
    auto t = die_type(&b);
    if (!t) continue;
    if (auto m = member(strip_typedefs(*t), name, depth + 1)) {
      m->offset += coro::member_offset(&b).value_or(0);
      return m;
    }
  }
  return std::nullopt;
}

// A dotted path of members ("_M_impl._M_start").
std::optional<Member> path(Dwarf_Die type, std::string_view dotted) {
  Member at{0, type};
  while (!dotted.empty()) {
    size_t dot = dotted.find('.');
    std::string_view part = dotted.substr(0, dot);
    auto m = member(strip_typedefs(at.type), part);
    if (!m) return std::nullopt;
    at.offset += m->offset;
    at.type = m->type;
    dotted = dot == std::string_view::npos ? std::string_view() : dotted.substr(dot + 1);
  }
  return at;
}

std::optional<uint64_t> word_at(std::span<const uint8_t> bytes, uint64_t off, uint64_t size) {
  if (size > 8 || off > bytes.size() || size > bytes.size() - off) return std::nullopt;
  uint64_t v = 0;
  std::memcpy(&v, bytes.data() + off, size);
  return v;
}

std::optional<Dwarf_Die> template_argument(Dwarf_Die type, int n) {
  Dwarf_Die child;
  if (dwarf_child(&type, &child) != 0) return std::nullopt;
  int i = 0;
  do {
    if (dwarf_tag(&child) != DW_TAG_template_type_parameter) continue;
    if (i++ == n) return die_type(&child);
  } while (dwarf_siblingof(&child, &child) == 0);
  return std::nullopt;
}

std::vector<Dwarf_Die> template_arguments(Dwarf_Die type, size_t max) {
  std::vector<Dwarf_Die> out;
  Dwarf_Die child;
  if (dwarf_child(&type, &child) != 0) return out;
  do {
    int tag = dwarf_tag(&child);
    if (tag == DW_TAG_template_type_parameter) {
      if (auto t = die_type(&child)) out.push_back(*t);
    } else if (tag == DW_TAG_GNU_template_parameter_pack) {
      Dwarf_Die inner;
      if (dwarf_child(&child, &inner) != 0) continue;
      do {
        if (dwarf_tag(&inner) != DW_TAG_template_type_parameter) continue;
        if (auto t = die_type(&inner)) out.push_back(*t);
      } while (out.size() < max && dwarf_siblingof(&inner, &inner) == 0);
    }
  } while (out.size() < max && dwarf_siblingof(&child, &child) == 0);
  return out;
}

uint64_t type_alignment(Dwarf_Die type, int depth) {
  constexpr uint64_t kMaxAlign = 16;
  Dwarf_Die t = strip_typedefs(type);
  Dwarf_Attribute a;
  Dwarf_Word given = 0;
  if (dwarf_attr(&t, DW_AT_alignment, &a) && dwarf_formudata(&a, &given) == 0 && given > 0)
    return std::min<uint64_t>(given, kMaxAlign);
  switch (dwarf_tag(&t)) {
    case DW_TAG_array_type: {
      auto elem = die_type(&t);
      return elem ? type_alignment(*elem, depth + 1) : 1;
    }
    case DW_TAG_structure_type:
    case DW_TAG_class_type:
    case DW_TAG_union_type: {
      if (depth > kMaxBaseDepth) return 1;
      uint64_t align = 1;
      Dwarf_Die child;
      if (dwarf_child(&t, &child) != 0) return align;
      do {
        int tag = dwarf_tag(&child);
        if ((tag != DW_TAG_member || !is_data_member(&child)) && tag != DW_TAG_inheritance)
          continue;
        if (auto m = die_type(&child)) align = std::max(align, type_alignment(*m, depth + 1));
      } while (dwarf_siblingof(&child, &child) == 0);
      return align;
    }
    default: {
      uint64_t size = type_size(&t).value_or(1);
      uint64_t align = 1;
      while (align < size && align < kMaxAlign) align *= 2;
      return align;
    }
  }
}

}  // namespace corostack::variables
