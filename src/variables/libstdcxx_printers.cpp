#include "variables/libstdcxx_printers.hpp"

#include <dwarf.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <vector>

#include "coro/dwarf_types.hpp"
#include "variables/value_printer.hpp"

namespace corostack::variables {
namespace {

using coro::die_name;
using coro::die_type;
using coro::strip_typedefs;
using coro::type_size;

constexpr int kMaxBaseDepth = 8;

struct Member {
  uint64_t offset = 0;
  Dwarf_Die type;
};

bool is_data_member(Dwarf_Die* d) {
  Dwarf_Attribute a;
  bool f = false;
  bool external = dwarf_attr(d, DW_AT_external, &a) && dwarf_formflag(&a, &f) == 0 && f;
  return dwarf_tag(d) == DW_TAG_member && !external;
}

// The data member `name` of `type`, directly or in a base class (depth first).
std::optional<Member> member(Dwarf_Die type, std::string_view name, int depth = 0) {
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

std::optional<uint64_t> word_at(std::span<const uint8_t> bytes, uint64_t off, uint64_t size = 8) {
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

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

std::optional<std::string> print_string(const ValuePrinter& p, Dwarf_Die t,
                                        std::span<const uint8_t> bytes) {
  auto ptr = path(t, "_M_dataplus._M_p");
  auto len = path(t, "_M_string_length");
  if (!ptr || !len) return std::nullopt;
  auto pv = word_at(bytes, ptr->offset), lv = word_at(bytes, len->offset);
  if (!pv || !lv) return std::nullopt;
  if (*lv == 0) return "\"\"";
  return p.print_string_at(*pv, *lv, 1);
}

std::optional<std::string> print_string_view(const ValuePrinter& p, Dwarf_Die t,
                                             std::span<const uint8_t> bytes) {
  auto str = path(t, "_M_str");
  auto len = path(t, "_M_len");
  if (!str || !len) return std::nullopt;
  auto pv = word_at(bytes, str->offset), lv = word_at(bytes, len->offset);
  if (!pv || !lv) return std::nullopt;
  if (*lv == 0) return "\"\"";
  return p.print_string_at(*pv, *lv, 1);
}

std::optional<std::string> print_vector(const ValuePrinter& p, Dwarf_Die t,
                                        std::span<const uint8_t> bytes, int depth) {
  auto elem = template_argument(t, 0);
  auto start = path(t, "_M_impl._M_start");
  auto finish = path(t, "_M_impl._M_finish");
  auto end = path(t, "_M_impl._M_end_of_storage");
  if (!elem || !start || !finish || !end) return std::nullopt;  // vector<bool> among others
  Dwarf_Die et = strip_typedefs(*elem);
  uint64_t esize = type_size(&et).value_or(0);
  auto s = word_at(bytes, start->offset), f = word_at(bytes, finish->offset),
       e = word_at(bytes, end->offset);
  if (!s || !f || !e || esize == 0 || *f < *s || *e < *f) return std::nullopt;
  uint64_t length = (*f - *s) / esize, capacity = (*e - *s) / esize;
  std::string head = fmt::format("std::vector of length {}, capacity {}", length, capacity);
  if (length == 0) return head;
  return head + " = " + p.print_elements_at(*elem, *s, length, depth + 1);
}

// vector<bool> packs its elements into words: a bit iterator (word pointer,
// bit offset) at each end.
std::optional<std::string> print_bit_vector(const ValuePrinter& p, Dwarf_Die t,
                                            std::span<const uint8_t> bytes) {
  auto sp = path(t, "_M_impl._M_start._M_p"), so = path(t, "_M_impl._M_start._M_offset");
  auto fp = path(t, "_M_impl._M_finish._M_p"), fo = path(t, "_M_impl._M_finish._M_offset");
  auto end = path(t, "_M_impl._M_end_of_storage");
  if (!sp || !so || !fp || !fo || !end) return std::nullopt;
  auto s = word_at(bytes, sp->offset), f = word_at(bytes, fp->offset),
       e = word_at(bytes, end->offset);
  auto s_off = word_at(bytes, so->offset, 4), f_off = word_at(bytes, fo->offset, 4);
  if (!s || !f || !e || !s_off || !f_off || *f < *s || *e < *s || (*f - *s) % 8 || (*e - *s) % 8 ||
      *s_off >= 64 || *f_off >= 64)
    return std::nullopt;
  uint64_t length = (*f - *s) / 8 * 64 + *f_off - *s_off;
  uint64_t capacity = (*e - *s) / 8 * 64;
  std::string out = fmt::format("std::vector<bool> of length {}, capacity {}", length, capacity);
  if (length == 0) return out;
  uint64_t shown = std::min<uint64_t>(length, p.limits().max_elements);
  std::vector<uint64_t> words((*s_off + shown + 63) / 64);
  auto r = p.memory().read(RemoteAddr(*s), std::as_writable_bytes(std::span(words)));
  if (!r.complete(words.size() * 8))
    return out + fmt::format(" = {{<error: Cannot access memory at address {:#x}>}}", *s + r.bytes);
  out += " = {";
  for (uint64_t i = 0; i < shown; ++i) {
    uint64_t bit = *s_off + i;
    out += i ? ", " : "";
    out += (words[bit / 64] >> (bit % 64)) & 1 ? "true" : "false";
  }
  return out + (shown < length ? "...}" : "}");
}

std::optional<std::string> print_unique_ptr(const ValuePrinter& p, Dwarf_Die t,
                                            std::span<const uint8_t> bytes) {
  auto arg = template_argument(t, 0);
  if (!arg) return std::nullopt;
  uint64_t off = 0;
  if (type_size(&t).value_or(0) != 8) {
    auto m = path(t, "_M_t._M_t._M_head_impl");
    if (!m) return std::nullopt;
    off = m->offset;
  }
  auto v = word_at(bytes, off);
  if (!v) return std::nullopt;
  return fmt::format("std::unique_ptr<{}> = {{get() = {}}}", p.type_name(*arg),
                     p.print_pointer(*arg, *v));
}

std::optional<std::string> print_shared_ptr(const ValuePrinter& p, Dwarf_Die t,
                                            std::span<const uint8_t> bytes, std::string_view kind) {
  auto arg = template_argument(t, 0);
  auto ptr = path(t, "_M_ptr");
  auto pi = path(t, "_M_refcount._M_pi");
  if (!arg || !ptr || !pi) return std::nullopt;
  auto pv = word_at(bytes, ptr->offset), piv = word_at(bytes, pi->offset);
  if (!pv || !piv) return std::nullopt;
  std::string state = "empty";
  if (*piv != 0) {
    Dwarf_Die counted = coro::strip_pointer(pi->type);
    auto use = path(counted, "_M_use_count");
    auto weak = path(counted, "_M_weak_count");
    if (!use || !weak) return std::nullopt;
    auto u = p.memory().read_value<int32_t>(RemoteAddr(*piv + use->offset));
    auto w = p.memory().read_value<int32_t>(RemoteAddr(*piv + weak->offset));
    if (!u || !w) {
      state = fmt::format("<error: Cannot access memory at address {:#x}>", *piv);
    } else if (*u == 0) {
      state = fmt::format("expired, weak count {}", *w);
    } else {
      state = fmt::format("use count {}, weak count {}", *u, static_cast<int64_t>(*w) - 1);
    }
  }
  return fmt::format("std::{}<{}> ({}) = {{get() = {}}}", kind, p.type_name(*arg), state,
                     p.print_pointer(*arg, *pv));
}

std::optional<std::string> print_optional(const ValuePrinter& p, Dwarf_Die t,
                                          std::span<const uint8_t> bytes, int depth) {
  auto arg = template_argument(t, 0);
  auto engaged = path(t, "_M_payload._M_engaged");
  auto value = path(t, "_M_payload._M_payload._M_value");
  if (!arg || !engaged || !value) return std::nullopt;
  auto e = word_at(bytes, engaged->offset, 1);
  if (!e) return std::nullopt;
  std::string name = fmt::format("std::optional<{}>", p.type_name(*arg));
  if (*e == 0) return name + " [no contained value]";
  Dwarf_Die vt = strip_typedefs(value->type);
  uint64_t size = type_size(&vt).value_or(0);
  if (value->offset > bytes.size() || size > bytes.size() - value->offset) return std::nullopt;
  return name + " = {[contained value] = " +
         p.print_value(value->type, bytes.subspan(value->offset, size), depth + 1) + "}";
}

}  // namespace

std::optional<std::string> print_libstdcxx(const ValuePrinter& printer, Dwarf_Die type,
                                           std::span<const uint8_t> bytes, int depth) {
  const std::string& name = printer.qualified_name(type);
  if (!starts_with(name, "std::")) return std::nullopt;
  if (starts_with(name, "std::__cxx11::basic_string<char,"))
    return print_string(printer, type, bytes);
  if (starts_with(name, "std::basic_string_view<char,"))
    return print_string_view(printer, type, bytes);
  if (starts_with(name, "std::vector<bool,")) return print_bit_vector(printer, type, bytes);
  if (starts_with(name, "std::vector<")) return print_vector(printer, type, bytes, depth);
  if (starts_with(name, "std::unique_ptr<")) return print_unique_ptr(printer, type, bytes);
  if (starts_with(name, "std::shared_ptr<"))
    return print_shared_ptr(printer, type, bytes, "shared_ptr");
  if (starts_with(name, "std::weak_ptr<"))
    return print_shared_ptr(printer, type, bytes, "weak_ptr");
  if (starts_with(name, "std::optional<")) return print_optional(printer, type, bytes, depth);
  return std::nullopt;
}

}  // namespace corostack::variables
