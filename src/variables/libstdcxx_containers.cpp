#include "variables/libstdcxx_containers.hpp"

#include <fmt/format.h>

#include <vector>

#include "coro/dwarf_types.hpp"
#include "variables/dwarf_members.hpp"
#include "variables/value_printer.hpp"

namespace corostack::variables {
namespace {

using coro::strip_typedefs;
using coro::type_size;

constexpr uint64_t kListNodeBase = 16;       // _List_node_base: _M_next, _M_prev
constexpr uint64_t kRbNodeBase = 32;         // _Rb_tree_node_base: color, parent, left, right
constexpr uint64_t kHashNodeBase = 8;        // _Hash_node_base: _M_nxt
constexpr uint64_t kDequeBufferBytes = 512;  // __deque_buf_size

uint64_t align_up(uint64_t v, uint64_t align) {
  return align ? (v + align - 1) / align * align : v;
}

std::string num_elements(uint64_t n) {
  return n == 1 ? "1 element" : fmt::format("{} elements", n);
}

// Reads `type` at `address` and prints it as a member at `depth`.
std::string value_at(const ValuePrinter& p, Dwarf_Die type, uint64_t address, int depth) {
  Dwarf_Die t = strip_typedefs(type);
  uint64_t size = type_size(&t).value_or(0);
  if (size == 0 || size > p.limits().max_value_bytes)
    return "<object too large or of unknown size>";
  std::vector<uint8_t> buf(size);
  auto r = p.memory().read(RemoteAddr(address), std::as_writable_bytes(std::span(buf)));
  if (!r.complete(buf.size()))
    return fmt::format("<error: Cannot access memory at address {:#x}>", address);
  return p.print_value(type, buf, depth);
}

std::optional<uint64_t> read_word(const ValuePrinter& p, uint64_t address) {
  auto v = p.memory().read_value<uint64_t>(RemoteAddr(address));
  if (!v) return std::nullopt;
  return *v;
}

// "{item, item...}": `items` already formatted; "..." when cut short.
std::string braces(const std::vector<std::string>& items, bool cut) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + (cut ? "...}" : "}");
}

// The element types of a map-like container: the key, and the mapped type
// for maps (none for sets).
struct Elements {
  Dwarf_Die key;
  std::optional<Dwarf_Die> mapped;
  uint64_t key_size = 0;
  uint64_t value_align = 1;    // of the node's value (the pair for a map)
  uint64_t mapped_offset = 0;  // of `second` in the pair
};

std::optional<Elements> elements_of(Dwarf_Die t, bool map) {
  auto key = template_argument(t, 0);
  if (!key) return std::nullopt;
  Elements e;
  e.key = *key;
  Dwarf_Die kt = strip_typedefs(*key);
  e.key_size = type_size(&kt).value_or(0);
  if (e.key_size == 0) return std::nullopt;
  e.value_align = type_alignment(*key);
  if (map) {
    auto mapped = template_argument(t, 1);
    if (!mapped) return std::nullopt;
    Dwarf_Die mt = strip_typedefs(*mapped);
    if (!type_size(&mt)) return std::nullopt;
    uint64_t align = type_alignment(*mapped);
    e.mapped = *mapped;
    e.mapped_offset = align_up(e.key_size, align);
    e.value_align = std::max(e.value_align, align);
  }
  return e;
}

// One element of a map or set whose value starts at `value`.
std::string element_text(const ValuePrinter& p, const Elements& e, uint64_t value, size_t index,
                         int depth) {
  if (!e.mapped) return fmt::format("[{}] = {}", index, value_at(p, e.key, value, depth));
  return fmt::format("[{}] = {}", value_at(p, e.key, value, depth),
                     value_at(p, *e.mapped, value + e.mapped_offset, depth));
}

std::optional<std::string> print_list(const ValuePrinter& p, Dwarf_Die t, std::string_view name,
                                      std::span<const uint8_t> bytes, int depth) {
  auto elem = template_argument(t, 0);
  auto next = path(t, "_M_impl._M_node._M_next");
  auto size = path(t, "_M_impl._M_node._M_size");
  if (!elem || !next || !size) return std::nullopt;  // the old ABI keeps no size
  auto first = word_at(bytes, next->offset), count = word_at(bytes, size->offset);
  if (!first || !count) return std::nullopt;
  if (*count == 0) return fmt::format("empty {}", name);
  uint64_t value_offset = align_up(kListNodeBase, type_alignment(*elem));
  std::vector<std::string> items;
  uint64_t node = *first;
  uint64_t shown = std::min<uint64_t>(*count, p.limits().max_elements);
  for (uint64_t i = 0; i < shown; ++i) {
    items.push_back(fmt::format("[{}] = {}", i, value_at(p, *elem, node + value_offset, depth)));
    auto n = read_word(p, node);  // _M_next
    if (!n) {
      items.push_back(fmt::format("<error: Cannot access memory at address {:#x}>", node));
      break;
    }
    node = *n;
  }
  return fmt::format("{} = {}", name, braces(items, shown < *count));
}

std::optional<std::string> print_tree(const ValuePrinter& p, Dwarf_Die t, std::string_view name,
                                      std::span<const uint8_t> bytes, int depth, bool map) {
  auto left = path(t, "_M_t._M_impl._M_header._M_left");
  auto count = path(t, "_M_t._M_impl._M_node_count");
  auto e = elements_of(t, map);
  if (!left || !count || !e) return std::nullopt;
  auto leftmost = word_at(bytes, left->offset), n = word_at(bytes, count->offset);
  if (!leftmost || !n) return std::nullopt;
  std::string head = fmt::format("{} with {}", name, num_elements(*n));
  if (*n == 0) return head;
  const uint64_t value_offset = align_up(kRbNodeBase, e->value_align);
  // Offsets within _Rb_tree_node_base: 0 color, 8 parent, 16 left, 24 right.
  auto parent_of = [&](uint64_t x) { return read_word(p, x + 8); };
  auto left_of = [&](uint64_t x) { return read_word(p, x + 16); };
  auto right_of = [&](uint64_t x) { return read_word(p, x + 24); };
  std::vector<std::string> items;
  uint64_t shown = std::min<uint64_t>(*n, p.limits().max_elements);
  uint64_t x = *leftmost;
  for (uint64_t i = 0; i < shown; ++i) {
    items.push_back(element_text(p, *e, x + value_offset, i, depth));
    if (i + 1 == shown) break;
    // In-order successor; every step bounded by the tree's height, which a
    // sane tree of n nodes keeps under 2 log2(n) + 2.
    auto r = right_of(x);
    if (!r) break;
    bool ok = true;
    if (*r != 0) {
      x = *r;
      for (int steps = 0; steps < 128; ++steps) {
        auto l = left_of(x);
        if (!l) ok = false;
        if (!l || *l == 0) break;
        x = *l;
      }
    } else {
      auto y = parent_of(x);
      for (int steps = 0; y && steps < 128; ++steps) {
        auto yr = right_of(*y);
        if (!yr || *yr != x) break;
        x = *y;
        y = parent_of(x);
      }
      if (!y)
        ok = false;
      else
        x = *y;
    }
    if (!ok) {
      items.push_back(fmt::format("<error: Cannot access memory at address {:#x}>", x));
      break;
    }
  }
  return head + " = " + braces(items, shown < *n);
}

std::optional<std::string> print_hashtable(const ValuePrinter& p, Dwarf_Die t,
                                           std::string_view name, std::span<const uint8_t> bytes,
                                           int depth, bool map) {
  auto first = path(t, "_M_h._M_before_begin._M_nxt");
  auto count = path(t, "_M_h._M_element_count");
  auto e = elements_of(t, map);
  if (!first || !count || !e) return std::nullopt;
  auto node = word_at(bytes, first->offset), n = word_at(bytes, count->offset);
  if (!node || !n) return std::nullopt;
  std::string head = fmt::format("{} with {}", name, num_elements(*n));
  if (*n == 0) return head;
  const uint64_t value_offset = align_up(kHashNodeBase, e->value_align);
  std::vector<std::string> items;
  uint64_t shown = std::min<uint64_t>(*n, p.limits().max_elements);
  uint64_t x = *node;
  for (uint64_t i = 0; i < shown && x != 0; ++i) {
    items.push_back(element_text(p, *e, x + value_offset, i, depth));
    auto next = read_word(p, x);
    if (!next) {
      items.push_back(fmt::format("<error: Cannot access memory at address {:#x}>", x));
      break;
    }
    x = *next;
  }
  return head + " = " + braces(items, shown < *n);
}

std::optional<std::string> print_deque(const ValuePrinter& p, Dwarf_Die t, std::string_view name,
                                       std::span<const uint8_t> bytes, int depth) {
  auto elem = template_argument(t, 0);
  auto s_cur = path(t, "_M_impl._M_start._M_cur"), s_last = path(t, "_M_impl._M_start._M_last");
  auto s_node = path(t, "_M_impl._M_start._M_node");
  auto f_cur = path(t, "_M_impl._M_finish._M_cur"), f_first = path(t, "_M_impl._M_finish._M_first");
  auto f_node = path(t, "_M_impl._M_finish._M_node");
  if (!elem || !s_cur || !s_last || !s_node || !f_cur || !f_first || !f_node) return std::nullopt;
  Dwarf_Die et = strip_typedefs(*elem);
  uint64_t esize = type_size(&et).value_or(0);
  auto sc = word_at(bytes, s_cur->offset), sl = word_at(bytes, s_last->offset),
       sn = word_at(bytes, s_node->offset), fc = word_at(bytes, f_cur->offset),
       ff = word_at(bytes, f_first->offset), fn = word_at(bytes, f_node->offset);
  if (esize == 0 || !sc || !sl || !sn || !fc || !ff || !fn || *fn < *sn || *sl < *sc || *fc < *ff)
    return std::nullopt;
  uint64_t per_buffer = esize < kDequeBufferBytes ? kDequeBufferBytes / esize : 1;
  uint64_t size = 0;
  if (*fn == *sn) {
    size = (*fc - *sc) / esize;
  } else {
    size = per_buffer * ((*fn - *sn) / 8 - 1) + (*sl - *sc) / esize + (*fc - *ff) / esize;
  }
  std::string head = fmt::format("{} with {}", name, num_elements(size));
  if (size == 0) return head;
  std::vector<std::string> items;
  uint64_t shown = std::min<uint64_t>(size, p.limits().max_elements);
  uint64_t cur = *sc, last = *sl, node = *sn;
  for (uint64_t i = 0; i < shown; ++i) {
    items.push_back(value_at(p, *elem, cur, depth));
    cur += esize;
    if (cur == last && i + 1 < shown) {
      node += 8;
      auto first = read_word(p, node);
      if (!first) {
        items.push_back(fmt::format("<error: Cannot access memory at address {:#x}>", node));
        break;
      }
      cur = *first;
      last = cur + per_buffer * esize;
    }
  }
  return head + " = " + braces(items, shown < size);
}

}  // namespace

std::optional<std::string> print_libstdcxx_container(const ValuePrinter& printer, Dwarf_Die type,
                                                     std::string_view name,
                                                     std::span<const uint8_t> bytes, int depth) {
  std::string_view base = name.substr(0, name.find('<'));
  if (base == "std::__cxx11::list" || base == "std::list")
    return print_list(printer, type, base, bytes, depth + 1);
  if (base == "std::map" || base == "std::multimap")
    return print_tree(printer, type, base, bytes, depth + 1, true);
  if (base == "std::set" || base == "std::multiset")
    return print_tree(printer, type, base, bytes, depth + 1, false);
  if (base == "std::unordered_map" || base == "std::unordered_multimap")
    return print_hashtable(printer, type, base, bytes, depth + 1, true);
  if (base == "std::unordered_set" || base == "std::unordered_multiset")
    return print_hashtable(printer, type, base, bytes, depth + 1, false);
  if (base == "std::deque") return print_deque(printer, type, base, bytes, depth + 1);
  return std::nullopt;
}

}  // namespace corostack::variables
