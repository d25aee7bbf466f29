#include "coro/dwarf_types.hpp"

#include <dwarf.h>

#include <cstdlib>
#include <vector>

namespace corostack::coro {
namespace {

// Hostile or cyclic DWARF must not recurse forever.
constexpr int kMaxTypeDepth = 32;

bool is_typedef_or_cv(int tag) {
  return tag == DW_TAG_typedef || tag == DW_TAG_const_type || tag == DW_TAG_volatile_type ||
         tag == DW_TAG_restrict_type || tag == DW_TAG_atomic_type;
}

bool is_aggregate(int tag) {
  return tag == DW_TAG_structure_type || tag == DW_TAG_class_type || tag == DW_TAG_union_type;
}

bool has_flag(Dwarf_Die* die, unsigned int at) {
  Dwarf_Attribute attr;
  bool flag = false;
  return dwarf_attr(die, at, &attr) && dwarf_formflag(&attr, &flag) == 0 && flag;
}

std::optional<uint64_t> udata(Dwarf_Die* die, unsigned int at) {
  Dwarf_Attribute attr;
  Dwarf_Word v = 0;
  if (!dwarf_attr_integrate(die, at, &attr) || dwarf_formudata(&attr, &v) != 0) return std::nullopt;
  return v;
}

// A data member (not a static member, which DWARF 4 also emits as DW_TAG_member).
bool is_data_member(Dwarf_Die* die) {
  return dwarf_tag(die) == DW_TAG_member && !has_flag(die, DW_AT_declaration) &&
         !has_flag(die, DW_AT_external);
}

uint64_t largest_pow2_divisor_capped(uint64_t size) {
  if (size == 0) return 1;
  uint64_t a = size & (~size + 1);
  return a > 16 ? 16 : a;
}

uint64_t alignment_at(Dwarf_Die type, int depth) {
  if (depth > kMaxTypeDepth) return 1;
  if (auto a = udata(&type, DW_AT_alignment); a && *a > 0) return *a;
  int tag = dwarf_tag(&type);
  if (is_typedef_or_cv(tag) || tag == DW_TAG_array_type) {
    auto inner = die_type(&type);
    return inner ? alignment_at(*inner, depth + 1) : 1;
  }
  if (tag == DW_TAG_pointer_type || tag == DW_TAG_reference_type ||
      tag == DW_TAG_rvalue_reference_type || tag == DW_TAG_ptr_to_member_type) {
    return largest_pow2_divisor_capped(udata(&type, DW_AT_byte_size).value_or(8));
  }
  if (tag == DW_TAG_base_type || tag == DW_TAG_enumeration_type) {
    if (auto size = udata(&type, DW_AT_byte_size)) return largest_pow2_divisor_capped(*size);
    auto inner = die_type(&type);
    return inner ? alignment_at(*inner, depth + 1) : 1;
  }
  if (!is_aggregate(tag)) return 1;
  uint64_t align = 1;
  Dwarf_Die child;
  if (dwarf_child(&type, &child) != 0) return align;
  do {
    int ctag = dwarf_tag(&child);
    if (!is_data_member(&child) && ctag != DW_TAG_inheritance) continue;
    if (auto t = die_type(&child)) {
      uint64_t a = alignment_at(*t, depth + 1);
      if (a > align) align = a;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  return align;
}

// The member named path[at] somewhere in `type` (direct, anonymous member or
// base), followed by the rest of the path.
std::optional<uint64_t> find_path_at(Dwarf_Die type, const std::vector<std::string_view>& path,
                                     size_t at, int depth) {
  if (depth > kMaxTypeDepth) return std::nullopt;
  type = strip_typedefs(type);
  if (!is_aggregate(dwarf_tag(&type))) return std::nullopt;
  if (auto m = find_direct_member(&type, path[at])) {
    auto off = member_offset(&*m);
    if (!off) return std::nullopt;
    if (at + 1 == path.size()) return off;
    auto mt = die_type(&*m);
    if (!mt) return std::nullopt;
    auto rest = find_path_at(*mt, path, at + 1, depth + 1);
    if (!rest) return std::nullopt;
    return *off + *rest;
  }
  // Anonymous members and base classes, in declaration order.
  Dwarf_Die child;
  if (dwarf_child(&type, &child) != 0) return std::nullopt;
  do {
    int ctag = dwarf_tag(&child);
    bool anonymous = is_data_member(&child) && die_name(&child).empty();
    if (!anonymous && ctag != DW_TAG_inheritance) continue;
    auto off = member_offset(&child);
    auto ct = die_type(&child);
    if (!off || !ct) continue;
    if (auto inner = find_path_at(*ct, path, at, depth + 1)) return *off + *inner;
  } while (dwarf_siblingof(&child, &child) == 0);
  return std::nullopt;
}

}  // namespace

std::optional<uint64_t> die_udata(Dwarf_Die* die, unsigned int at) {
  return udata(die, at);
}

bool die_flag(Dwarf_Die* die, unsigned int at) {
  Dwarf_Attribute attr;
  bool flag = false;
  return dwarf_attr_integrate(die, at, &attr) && dwarf_formflag(&attr, &flag) == 0 && flag;
}

std::string_view die_name(Dwarf_Die* die) {
  const char* n = dwarf_diename(die);
  return n ? n : "";
}

const char* decl_file(Dwarf_Die* die) {
  Dwarf_Die current = *die;
  for (int i = 0; i < 4; ++i) {
    Dwarf_Attribute attr;
    Dwarf_Word idx = 0;
    if (dwarf_attr(&current, DW_AT_decl_file, &attr) && dwarf_formudata(&attr, &idx) == 0) {
      // libdw 0.188's dwarf_decl_file rejects index 0, which DWARF 5 uses for
      // the primary source file (clang emits it): look the index up ourselves.
      Dwarf_Die cu;
      Dwarf_Half version = 0;
      Dwarf_Files* files = nullptr;
      size_t nfiles = 0;
      if (!dwarf_diecu(&current, &cu, nullptr, nullptr) ||
          dwarf_cu_die(cu.cu, &cu, &version, nullptr, nullptr, nullptr, nullptr, nullptr) ==
              nullptr ||
          (idx == 0 && version < 5) || dwarf_getsrcfiles(&cu, &files, &nfiles) != 0 ||
          idx >= nfiles) {
        return nullptr;
      }
      return dwarf_filesrc(files, idx, nullptr, nullptr);
    }
    Dwarf_Die next;
    if ((!dwarf_attr(&current, DW_AT_specification, &attr) &&
         !dwarf_attr(&current, DW_AT_abstract_origin, &attr)) ||
        !dwarf_formref_die(&attr, &next)) {
      return nullptr;
    }
    current = next;
  }
  return nullptr;
}

std::optional<Dwarf_Die> die_type(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  Dwarf_Die out;
  if (!dwarf_attr_integrate(die, DW_AT_type, &attr) || !dwarf_formref_die(&attr, &out)) {
    return std::nullopt;
  }
  return out;
}

Dwarf_Die strip_typedefs(Dwarf_Die type) {
  for (int i = 0; i < kMaxTypeDepth && is_typedef_or_cv(dwarf_tag(&type)); ++i) {
    auto inner = die_type(&type);
    if (!inner) break;
    type = *inner;
  }
  return type;
}

Dwarf_Die strip_pointer(Dwarf_Die type) {
  type = strip_typedefs(type);
  int tag = dwarf_tag(&type);
  if (tag == DW_TAG_pointer_type || tag == DW_TAG_reference_type ||
      tag == DW_TAG_rvalue_reference_type) {
    if (auto inner = die_type(&type)) type = strip_typedefs(*inner);
  }
  return type;
}

std::string qualified_name(Dwarf_Die* type) {
  std::string name(die_name(type));
  Dwarf_Die* scopes = nullptr;
  int n = dwarf_getscopes_die(type, &scopes);
  // scopes[0] is the DIE itself, then its parents out to the unit.
  for (int i = 1; i < n; ++i) {
    int tag = dwarf_tag(&scopes[i]);
    if (tag != DW_TAG_namespace && !is_aggregate(tag)) break;
    std::string_view parent = die_name(&scopes[i]);
    if (parent.empty()) parent = tag == DW_TAG_namespace ? "(anonymous namespace)" : "(anonymous)";
    name = std::string(parent) + "::" + name;
  }
  free(scopes);
  return name;
}

std::optional<uint64_t> type_size(Dwarf_Die* type) {
  Dwarf_Word size = 0;
  if (dwarf_aggregate_size(type, &size) != 0) return std::nullopt;
  return size;
}

uint64_t type_alignment(Dwarf_Die* type) {
  return alignment_at(*type, 0);
}

std::optional<uint64_t> member_offset(Dwarf_Die* member) {
  Dwarf_Attribute attr;
  if (!dwarf_attr(member, DW_AT_data_member_location, &attr)) {
    // Union members, and DWARF 5 bitfields (which use DW_AT_data_bit_offset).
    if (auto bits = udata(member, DW_AT_data_bit_offset)) return *bits / 8;
    return 0;
  }
  Dwarf_Word v = 0;
  if (dwarf_formudata(&attr, &v) == 0) return v;
  // DWARF 2 style: an expression, normally a single DW_OP_plus_uconst.
  Dwarf_Op* ops = nullptr;
  size_t nops = 0;
  if (dwarf_getlocation(&attr, &ops, &nops) == 0 && nops == 1 && ops[0].atom == DW_OP_plus_uconst) {
    return ops[0].number;
  }
  return std::nullopt;  // virtual base: needs the object itself
}

std::optional<Dwarf_Die> find_direct_member(Dwarf_Die* type, std::string_view name) {
  Dwarf_Die child;
  if (dwarf_child(type, &child) != 0) return std::nullopt;
  do {
    if (is_data_member(&child) && die_name(&child) == name) return child;
  } while (dwarf_siblingof(&child, &child) == 0);
  return std::nullopt;
}

std::optional<uint64_t> find_member_path(Dwarf_Die type, std::string_view dotted) {
  std::vector<std::string_view> path;
  size_t start = 0;
  while (start <= dotted.size()) {
    size_t dot = dotted.find('.', start);
    if (dot == std::string_view::npos) dot = dotted.size();
    if (dot == start) return std::nullopt;  // empty component
    path.push_back(dotted.substr(start, dot - start));
    start = dot + 1;
  }
  if (path.empty()) return std::nullopt;
  return find_path_at(type, path, 0, 0);
}

}  // namespace corostack::coro
