#include "variables/libstdcxx_printers.hpp"

#include <dwarf.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <vector>

#include "coro/dwarf_types.hpp"
#include "variables/dwarf_members.hpp"
#include "variables/libstdcxx_containers.hpp"
#include "variables/value_printer.hpp"

namespace corostack::variables {
namespace {

using coro::die_name;
using coro::die_type;
using coro::strip_typedefs;
using coro::type_size;

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

// Types whose printers have children: a variant holding one says
// "[index N] containing <its text>" instead of "[index N] = {<value>}".
bool printed_with_children(std::string_view name) {
  for (std::string_view p :
       {"std::vector<", "std::__cxx11::list<", "std::list<", "std::map<", "std::multimap<",
        "std::set<", "std::multiset<", "std::unordered_", "std::deque<", "std::optional<",
        "std::unique_ptr<", "std::shared_ptr<", "std::weak_ptr<", "std::variant<"})
    if (starts_with(name, p)) return true;
  return false;
}

std::optional<std::string> print_variant(const ValuePrinter& p, Dwarf_Die t,
                                         std::span<const uint8_t> bytes, int depth) {
  std::vector<Dwarf_Die> alternatives = template_arguments(t);
  auto index = path(t, "_M_index");
  auto storage = path(t, "_M_u");
  if (alternatives.empty() || !index || !storage) return std::nullopt;
  Dwarf_Die it = strip_typedefs(index->type);
  uint64_t index_size = type_size(&it).value_or(0);
  auto raw = word_at(bytes, index->offset, index_size);
  if (!raw || index_size == 0) return std::nullopt;
  std::string name = "std::variant<";
  for (size_t i = 0; i < alternatives.size(); ++i)
    name += (i ? ", " : "") + p.type_name(alternatives[i]);
  name += ">";
  if (*raw >= alternatives.size()) return name + " [no contained value]";  // valueless
  Dwarf_Die held = alternatives[*raw];
  Dwarf_Die ht = strip_typedefs(held);
  uint64_t size = type_size(&ht).value_or(0);
  if (storage->offset > bytes.size() || size > bytes.size() - storage->offset) return std::nullopt;
  std::string value = p.print_value(held, bytes.subspan(storage->offset, size), depth + 1);
  std::string head = fmt::format("{} [index {}]", name, *raw);
  if (printed_with_children(p.qualified_name(ht))) return head + " containing " + value;
  return head + " = {" + value + "}";
}

// A class's direct base classes, in declaration order, with their offsets.
std::vector<Member> bases_of(Dwarf_Die type) {
  std::vector<Member> out;
  Dwarf_Die child;
  if (dwarf_child(&type, &child) != 0) return out;
  do {
    if (dwarf_tag(&child) != DW_TAG_inheritance) continue;
    if (auto t = die_type(&child))
      out.push_back({coro::member_offset(&child).value_or(0), strip_typedefs(*t)});
  } while (out.size() < 4 && dwarf_siblingof(&child, &child) == 0);
  return out;
}

// std::tuple<A, B> is _Tuple_impl<0, A, B>, which derives from
// _Tuple_impl<1, B> and _Head_base<0, A>, ...: each _Head_base holds one
// element in _M_head_impl (printers.py's StdTuplePrinter walks the same way).
std::optional<std::string> print_tuple(const ValuePrinter& p, Dwarf_Die t,
                                       std::span<const uint8_t> bytes, int depth) {
  constexpr size_t kMaxElements = 64;
  std::vector<Member> top = bases_of(t);
  if (top.empty()) return "empty std::tuple";
  Member head = top.front();
  std::vector<std::string> items;
  for (size_t i = 0; i < kMaxElements; ++i) {
    std::vector<Member> nodes = bases_of(head.type);
    if (nodes.empty() || nodes.size() > 2) return std::nullopt;
    Member impl = nodes.size() == 1 ? nodes[0] : nodes[1];
    impl.offset += head.offset;
    auto value = member(impl.type, "_M_head_impl");
    if (!value) return std::nullopt;  // an empty element kept by the empty-base optimisation
    Dwarf_Die vt = strip_typedefs(value->type);
    uint64_t off = impl.offset + value->offset, size = type_size(&vt).value_or(0);
    if (off > bytes.size() || size > bytes.size() - off) return std::nullopt;
    // printers.py counts from 1 here ("[1] = 3, [2] = ..."), unlike every other container.
    items.push_back(fmt::format("[{}] = {}", i + 1,
                                p.print_value(value->type, bytes.subspan(off, size), depth + 1)));
    if (nodes.size() == 1) {
      std::string out = "std::tuple containing = {";
      for (size_t k = 0; k < items.size(); ++k) out += (k ? ", " : "") + items[k];
      return out + "}";
    }
    head = {head.offset + nodes[0].offset, nodes[0].type};
  }
  return std::nullopt;
}

// std::atomic<T> of an integer, bool or floating type: `std::atomic<int> = { 5 }`.
std::optional<std::string> print_atomic(const ValuePrinter& p, Dwarf_Die t,
                                        std::span<const uint8_t> bytes) {
  auto arg = template_argument(t, 0);
  if (!arg) return std::nullopt;
  Dwarf_Die at = strip_typedefs(*arg);
  if (dwarf_tag(&at) != DW_TAG_base_type) return std::nullopt;  // pointers, classes: as structs
  std::optional<Member> value;
  for (std::string_view where : {"_M_i", "_M_base._M_i", "_M_fp"})
    if ((value = path(t, where))) break;
  if (!value) return std::nullopt;
  Dwarf_Die vt = strip_typedefs(value->type);
  uint64_t size = type_size(&vt).value_or(0);
  if (value->offset > bytes.size() || size > bytes.size() - value->offset) return std::nullopt;
  return fmt::format("std::atomic<{}> = {{ {} }}", p.type_name(*arg),
                     p.print_value(value->type, bytes.subspan(value->offset, size), 0));
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
  if (starts_with(name, "std::variant<")) return print_variant(printer, type, bytes, depth);
  if (starts_with(name, "std::tuple<")) return print_tuple(printer, type, bytes, depth);
  if (starts_with(name, "std::atomic<")) return print_atomic(printer, type, bytes);
  return print_libstdcxx_container(printer, type, name, bytes, depth);
}

}  // namespace corostack::variables
