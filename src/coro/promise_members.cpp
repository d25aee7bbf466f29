#include "coro/promise_members.hpp"

#include <dwarf.h>

#include <optional>

#include "coro/dwarf_types.hpp"

namespace corostack::coro {
namespace {

constexpr int kMaxBaseDepth = 8;

bool starts_with(const std::string& s, std::string_view p) {
  return s.compare(0, p.size(), p) == 0;
}

// What a member's type prints as; nullopt for types not printed.
std::optional<MemberKind> kind_of(Dwarf_Die type) {
  Dwarf_Die t = strip_typedefs(type);
  switch (dwarf_tag(&t)) {
    case DW_TAG_pointer_type:
    case DW_TAG_reference_type:
    case DW_TAG_rvalue_reference_type:
      return MemberKind::kPointer;
    case DW_TAG_enumeration_type:
      return MemberKind::kSigned;
    case DW_TAG_base_type: {
      Dwarf_Attribute a;
      Dwarf_Word enc = 0;
      if (!dwarf_attr(&t, DW_AT_encoding, &a) || dwarf_formudata(&a, &enc) != 0) return {};
      switch (enc) {
        case DW_ATE_boolean:
          return MemberKind::kBool;
        case DW_ATE_float:
          return MemberKind::kFloat;
        case DW_ATE_signed:
          return MemberKind::kSigned;
        case DW_ATE_signed_char:
        case DW_ATE_unsigned_char:
          return MemberKind::kChar;
        case DW_ATE_unsigned:
          return MemberKind::kUnsigned;
        default:
          return {};
      }
    }
    case DW_TAG_structure_type:
    case DW_TAG_class_type: {
      std::string name = qualified_name(&t);
      // libstdc++'s layouts: basic_string {pointer, length, ...}, string_view
      // {length, pointer}, coroutine_handle {frame pointer}.
      if (starts_with(name, "std::__cxx11::basic_string<char,")) return MemberKind::kString;
      if (starts_with(name, "std::basic_string_view<char,")) return MemberKind::kStringView;
      if (name.find("coroutine_handle<") != std::string::npos) return MemberKind::kPointer;
      return {};
    }
    default:
      return {};
  }
}

void collect(Dwarf_Die type, uint64_t base, const std::string& prefix, int depth, size_t max,
             std::vector<PromiseMember>& out) {
  Dwarf_Die child;
  if (dwarf_child(&type, &child) != 0) return;
  do {
    if (out.size() >= max) return;
    int tag = dwarf_tag(&child);
    if (tag == DW_TAG_inheritance && depth < kMaxBaseDepth) {
      auto t = die_type(&child);
      auto off = member_offset(&child);
      if (t && off) collect(strip_typedefs(*t), base + *off, prefix, depth + 1, max, out);
      continue;
    }
    if (tag != DW_TAG_member || dwarf_hasattr(&child, DW_AT_external)) continue;  // static
    if (dwarf_hasattr(&child, DW_AT_bit_size)) continue;  // bitfields: not printed
    auto t = die_type(&child);
    auto off = member_offset(&child);
    if (!t || !off) continue;
    auto kind = kind_of(*t);
    if (!kind) continue;
    Dwarf_Die stripped = strip_typedefs(*t);
    PromiseMember m;
    m.name = prefix + std::string(die_name(&child));
    m.offset = base + *off;
    m.size = static_cast<uint32_t>(type_size(&stripped).value_or(8));
    m.kind = *kind;
    bool text = m.kind == MemberKind::kString || m.kind == MemberKind::kStringView;
    if (text ? m.size < 16 : (m.size == 0 || m.size > 8)) continue;
    out.push_back(std::move(m));
  } while (dwarf_siblingof(&child, &child) == 0);
}

}  // namespace

std::vector<PromiseMember> promise_members(Dwarf_Die promise, size_t max_members) {
  std::vector<PromiseMember> out;
  collect(strip_typedefs(promise), 0, "", 0, max_members, out);
  return out;
}

}  // namespace corostack::coro
