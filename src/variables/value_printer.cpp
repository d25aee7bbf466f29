#include "variables/value_printer.hpp"

#include <dwarf.h>
#include <fmt/format.h>

#include <cstring>
#include <vector>

#include "coro/dwarf_types.hpp"
#include "variables/libstdcxx_printers.hpp"

namespace corostack::variables {
namespace {

using coro::die_name;
using coro::die_type;
using coro::strip_typedefs;
using coro::type_size;
constexpr auto udata = coro::die_udata;
constexpr auto has_flag = coro::die_flag;

constexpr int kMaxTypeChain = 32;

enum class Coverage { kAll, kSome, kNone };

// How much of [offset, offset + size) `known` covers (empty: all of it).
Coverage coverage(KnownBytes known, size_t offset, size_t size) {
  if (known.empty()) return Coverage::kAll;
  size_t have = 0;
  for (size_t i = offset; i < offset + size; ++i) have += i < known.size() && known[i];
  return have == size ? Coverage::kAll : have == 0 ? Coverage::kNone : Coverage::kSome;
}

// The part of `known` for a member or element at [offset, offset + size).
// Bytes past the end of `known` are not known (an empty span would say all are).
KnownBytes known_part(KnownBytes known, size_t offset, size_t size) {
  static constexpr uint8_t kNoneKnown[1] = {0};
  if (known.empty()) return known;
  if (offset >= known.size()) return KnownBytes(kNoneKnown);
  return known.subspan(offset, std::min(size, known.size() - offset));
}

uint64_t load_unsigned(std::span<const uint8_t> bytes, size_t size) {
  uint64_t v = 0;
  std::memcpy(&v, bytes.data(), std::min({size, bytes.size(), sizeof v}));
  return v;
}

int64_t load_signed(std::span<const uint8_t> bytes, size_t size) {
  uint64_t v = load_unsigned(bytes, size);
  if (size > 0 && size < 8 && (v >> (size * 8 - 1)) & 1) v |= ~0ULL << (size * 8);
  return static_cast<int64_t>(v);
}

// gdb's escapes inside quotes: \a \b \f \n \r \t \v, \\ and the quote, octal otherwise.
void append_escaped(std::string& out, uint8_t c, char quote) {
  switch (c) {
    case '\a':
      out += "\\a";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\v':
      out += "\\v";
      return;
    case 27:
      out += "\\033";
      return;
    default:
      break;
  }
  if (c == '\\' || c == static_cast<uint8_t>(quote)) {
    out += '\\';
    out += static_cast<char>(c);
  } else if (c >= 0x20 && c < 0x7f) {
    out += static_cast<char>(c);
  } else {
    out += fmt::format("\\{:03o}", c);
  }
}

std::string char_literal(uint8_t c, const char* prefix = "") {
  std::string s = prefix;
  s += '\'';
  append_escaped(s, c, '\'');
  s += '\'';
  return s;
}

std::string print_base(Dwarf_Die* type, std::span<const uint8_t> bytes) {
  auto enc = udata(type, DW_AT_encoding).value_or(0);
  size_t size = static_cast<size_t>(udata(type, DW_AT_byte_size).value_or(bytes.size()));
  if (size > bytes.size()) return "<incomplete>";
  std::string_view name = die_name(type);
  switch (enc) {
    case DW_ATE_boolean: {
      uint64_t v = load_unsigned(bytes, size);
      return v == 0 ? "false" : v == 1 ? "true" : std::to_string(v);
    }
    case DW_ATE_address:  // clang's synthesized pointer slots in coroutine frames
      if (size != 8) return "<unsupported address size>";
      return fmt::format("{:#x}", load_unsigned(bytes, 8));
    case DW_ATE_float:
      if (size == 4) {
        float f;
        std::memcpy(&f, bytes.data(), 4);
        return fmt::format("{:.9g}", f);
      }
      if (size == 8) {
        double d;
        std::memcpy(&d, bytes.data(), 8);
        return fmt::format("{:.17g}", d);
      }
      if (size == 16 || size == 10) {  // x87 extended precision
        long double ld = 0;
        std::memcpy(&ld, bytes.data(), std::min<size_t>(size, sizeof ld));
        return fmt::format("{:.21g}", ld);
      }
      return "<unsupported float>";
    case DW_ATE_signed_char:
    case DW_ATE_unsigned_char:
      if (size == 1) {
        auto c = bytes[0];
        int64_t n = enc == DW_ATE_signed_char ? static_cast<int8_t>(c) : c;
        return fmt::format("{} {}", n, char_literal(c));
      }
      [[fallthrough]];
    case DW_ATE_signed:
      if (size > 8) return "<unsupported integer>";
      if (name == "wchar_t" && size == 4) {
        int64_t n = load_signed(bytes, size);
        return n >= 0 && n < 0x7f
                   ? fmt::format("{} {}", n, char_literal(static_cast<uint8_t>(n), "L"))
                   : std::to_string(n);
      }
      return std::to_string(load_signed(bytes, size));
    case DW_ATE_unsigned:
    case DW_ATE_UTF: {
      if (size > 8) return "<unsupported integer>";
      uint64_t n = load_unsigned(bytes, size);
      if (enc == DW_ATE_UTF && n < 0x7f)
        return fmt::format("{} {}", n,
                           char_literal(static_cast<uint8_t>(n), size == 1   ? "u8"
                                                                 : size == 2 ? "u"
                                                                             : "U"));
      return std::to_string(n);
    }
    default:
      return "<unsupported base type>";
  }
}

std::string print_enum(Dwarf_Die* type, std::span<const uint8_t> bytes, const std::string& scope) {
  size_t size = static_cast<size_t>(udata(type, DW_AT_byte_size).value_or(4));
  if (size > 8 || size > bytes.size()) return "<incomplete>";
  int64_t value = load_signed(bytes, size);
  uint64_t raw = load_unsigned(bytes, size);
  bool is_unsigned = false;
  if (auto under = die_type(type)) {
    Dwarf_Die u = strip_typedefs(*under);
    auto enc = udata(&u, DW_AT_encoding).value_or(0);
    is_unsigned = enc == DW_ATE_unsigned || enc == DW_ATE_unsigned_char || enc == DW_ATE_boolean;
  }
  struct Enumerator {
    std::string_view name;
    uint64_t value;
  };
  std::vector<Enumerator> enumerators;
  // gdb's "flag enum": no negative enumerator, and distinct ones share no bit.
  bool flags = true;
  uint64_t mask = 0;
  Dwarf_Die child;
  if (dwarf_child(type, &child) == 0) {
    do {
      if (dwarf_tag(&child) != DW_TAG_enumerator) continue;
      if (enumerators.size() >= 100000) break;
      Dwarf_Attribute a;
      if (!dwarf_attr(&child, DW_AT_const_value, &a)) continue;
      Dwarf_Sword sv;
      Dwarf_Word uv;
      uint64_t v;
      if (dwarf_formsdata(&a, &sv) == 0) {
        v = static_cast<uint64_t>(sv);
        if (sv < 0 && !is_unsigned) flags = false;
      } else if (dwarf_formudata(&a, &uv) == 0) {
        v = uv;
      } else {
        continue;
      }
      if (size < 8) v &= (1ULL << (size * 8)) - 1;
      bool seen = std::any_of(enumerators.begin(), enumerators.end(),
                              [&](const Enumerator& e) { return e.value == v; });
      if (!seen && (mask & v) != 0) flags = false;
      mask |= v;
      enumerators.push_back({die_name(&child), v});
    } while (dwarf_siblingof(&child, &child) == 0);
  }
  for (const Enumerator& e : enumerators)
    if (e.value == raw) return scope + std::string(e.name);
  if (!flags) return is_unsigned ? std::to_string(raw) : std::to_string(value);
  // A flag enum's value as the flags it holds, the rest in hex (gdb's form).
  std::string out;
  uint64_t left = raw;
  for (const Enumerator& e : enumerators) {
    if ((left & e.value) == 0) continue;
    out += out.empty() ? "(" : " | ";
    out += scope + std::string(e.name);
    left &= ~e.value;
  }
  if (left != 0)
    return out + (out.empty() ? "(unknown: " : " | unknown: ") + fmt::format("{:#x})", left);
  return out.empty() ? "0" : out + ")";
}

bool is_char_type(Dwarf_Die type) {
  Dwarf_Die t = strip_typedefs(type);
  if (dwarf_tag(&t) != DW_TAG_base_type) return false;
  auto enc = udata(&t, DW_AT_encoding).value_or(0);
  return (enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char) &&
         udata(&t, DW_AT_byte_size).value_or(0) == 1;
}

std::optional<uint64_t> subrange_count(Dwarf_Die* sub) {
  if (auto c = udata(sub, DW_AT_count)) return c;
  if (auto ub = udata(sub, DW_AT_upper_bound)) {
    uint64_t lb = udata(sub, DW_AT_lower_bound).value_or(0);
    if (*ub + 1 < lb || *ub == UINT64_MAX) return std::nullopt;
    return *ub + 1 - lb;
  }
  return std::nullopt;
}

void cap(std::string& s, size_t max) {
  if (s.size() > max) {
    s.resize(max);
    s += "...";
  }
}

}  // namespace

std::string quote_chars(std::span<const uint8_t> chars, size_t threshold, bool truncated) {
  std::string out;
  bool in_quotes = false;
  for (size_t i = 0; i < chars.size();) {
    size_t run = 1;
    while (i + run < chars.size() && chars[i + run] == chars[i]) ++run;
    if (run > threshold) {
      if (in_quotes)
        out += "\", ";
      else if (!out.empty())
        out += ", ";
      in_quotes = false;
      out += fmt::format("{} <repeats {} times>", char_literal(chars[i]), run);
      i += run;
      continue;
    }
    if (!in_quotes) {
      if (!out.empty()) out += ", ";
      out += '"';
      in_quotes = true;
    }
    for (size_t k = 0; k < run; ++k) append_escaped(out, chars[i], '"');
    i += run;
  }
  if (in_quotes) out += '"';
  if (out.empty()) out = "\"\"";
  if (truncated) out += "...";
  return out;
}

const std::string& ValuePrinter::qualified_name(Dwarf_Die type) const {
  auto [it, inserted] = names_.try_emplace(type.addr);
  if (inserted) it->second = coro::qualified_name(&type);
  return it->second;
}

std::string ValuePrinter::type_name(Dwarf_Die type) const {
  std::string suffix;
  for (int i = 0; i < kMaxTypeChain; ++i) {
    int tag = dwarf_tag(&type);
    auto inner = die_type(&type);
    switch (tag) {
      case DW_TAG_pointer_type:
        suffix = " *" + suffix;
        break;
      case DW_TAG_reference_type:
        suffix = " &" + suffix;
        break;
      case DW_TAG_rvalue_reference_type:
        suffix = " &&" + suffix;
        break;
      case DW_TAG_const_type:
        if (suffix.empty() || suffix[0] != ' ')
          return "const " + (inner ? type_name(*inner) : "void") + suffix;
        suffix = " const" + suffix;
        break;
      case DW_TAG_volatile_type:
        suffix = " volatile" + suffix;
        break;
      case DW_TAG_base_type:
      case DW_TAG_typedef:
      case DW_TAG_structure_type:
      case DW_TAG_class_type:
      case DW_TAG_union_type:
      case DW_TAG_enumeration_type: {
        std::string n = qualified_name(type);
        if (n.rfind("std::__cxx11::basic_string<char,", 0) == 0) n = "std::string";
        return (n.empty() ? "<anonymous>" : n) + suffix;
      }
      case DW_TAG_subroutine_type:
        return "<function>" + suffix;
      case DW_TAG_array_type: {
        // `int [3]`, `int []` (gdb's spelling); one bound per dimension.
        std::string dims;
        Dwarf_Die sub;
        if (dwarf_child(&type, &sub) == 0) {
          do {
            if (dwarf_tag(&sub) != DW_TAG_subrange_type) continue;
            auto n = subrange_count(&sub);
            dims += n ? "[" + std::to_string(*n) + "]" : "[]";
          } while (dwarf_siblingof(&sub, &sub) == 0);
        }
        return (inner ? type_name(*inner) : "?") + " " + (dims.empty() ? "[]" : dims) + suffix;
      }
      default:
        return "?" + suffix;
    }
    if (!inner) return "void" + suffix;
    type = *inner;
  }
  return "?";
}

std::string ValuePrinter::print(Dwarf_Die type, std::span<const uint8_t> bytes,
                                KnownBytes known) const {
  std::string s = print_value(type, bytes, 0, known);
  cap(s, limits_.max_output);
  return s;
}

std::string ValuePrinter::print_at(Dwarf_Die type, uint64_t address) const {
  Dwarf_Die t = strip_typedefs(type);
  uint64_t size = type_size(&t).value_or(0);
  if (size == 0 || size > limits_.max_value_bytes) return "<object too large or of unknown size>";
  std::vector<uint8_t> buf(size);
  auto r = memory_.read(RemoteAddr(address), std::as_writable_bytes(std::span(buf)));
  if (!r.complete(buf.size()))
    return fmt::format("<error: Cannot access memory at address {:#x}>", address);
  return print(type, buf);
}

std::string ValuePrinter::print_value(Dwarf_Die type, std::span<const uint8_t> bytes, int depth,
                                      KnownBytes known) const {
  if (depth > limits_.max_depth) return "{...}";
  Dwarf_Die t = strip_typedefs(type);
  int tag = dwarf_tag(&t);
  switch (coverage(known, 0, bytes.size())) {
    case Coverage::kAll:
      break;
    case Coverage::kNone:
      return "<optimized out>";
    case Coverage::kSome:
      // Aggregates show the members and elements they have, as gdb does;
      // anything else (a scalar, a pointer, a libstdc++ object whose printer
      // needs all of it) is missing as a whole.
      if ((tag == DW_TAG_structure_type || tag == DW_TAG_class_type || tag == DW_TAG_union_type) &&
          !has_flag(&t, DW_AT_declaration))
        return print_struct(t, bytes, depth, known);
      if (tag == DW_TAG_array_type) return print_array(t, bytes, depth, known);
      return "<optimized out>";
  }
  switch (tag) {
    case DW_TAG_base_type:
      return print_base(&t, bytes);
    case DW_TAG_enumeration_type: {
      // gdb qualifies enumerators by their scope: a scoped enum's own name,
      // an unscoped one's enclosing namespaces and classes.
      std::string scope = qualified_name(t);
      bool scoped = has_flag(&t, DW_AT_enum_class);
      if (!scoped) {
        auto cut = scope.rfind("::");
        scope = cut == std::string::npos ? "" : scope.substr(0, cut);
      }
      if (!scope.empty()) scope += "::";
      return print_enum(&t, bytes, scope);
    }
    case DW_TAG_pointer_type: {
      if (bytes.size() < 8) return "<incomplete>";
      auto pointee = die_type(&t);
      uint64_t v = load_unsigned(bytes, 8);
      if (!pointee) return v == 0 ? "0x0" : fmt::format("{:#x}", v);
      return print_pointer(*pointee, v);
    }
    case DW_TAG_reference_type:
    case DW_TAG_rvalue_reference_type: {
      if (bytes.size() < 8) return "<incomplete>";
      uint64_t v = load_unsigned(bytes, 8);
      auto target = die_type(&t);
      if (!target) return fmt::format("@{:#x}", v);
      Dwarf_Die target_type = strip_typedefs(*target);
      uint64_t size = type_size(&target_type).value_or(0);
      if (size == 0 || size > limits_.max_value_bytes) return fmt::format("@{:#x}", v);
      std::vector<uint8_t> buf(size);
      auto r = memory_.read(RemoteAddr(v), std::as_writable_bytes(std::span(buf)));
      if (!r.complete(buf.size()))
        return fmt::format("@{:#x}: <error: Cannot access memory at address {:#x}>", v, v);
      // libstdc++'s printers look through references: gdb then shows the
      // printed value alone, without the referenced address.
      int ttag = dwarf_tag(&target_type);
      if (ttag == DW_TAG_structure_type || ttag == DW_TAG_class_type) {
        if (auto pretty = print_libstdcxx(*this, target_type, buf, depth + 1)) return *pretty;
      }
      return fmt::format("@{:#x}: {}", v, print_value(*target, buf, depth + 1));
    }
    case DW_TAG_structure_type:
    case DW_TAG_class_type:
    case DW_TAG_union_type: {
      if (has_flag(&t, DW_AT_declaration)) return "<incomplete type>";
      if (auto pretty = print_libstdcxx(*this, t, bytes, depth)) return *pretty;
      return print_struct(t, bytes, depth, {});
    }
    case DW_TAG_array_type:
      return print_array(t, bytes, depth, {});
    case DW_TAG_subroutine_type:
      return "{<function>}";
    case DW_TAG_ptr_to_member_type:
      return "<pointer to member>";
    default:
      return "<unsupported type>";
  }
}

std::string ValuePrinter::print_pointer(Dwarf_Die pointee, uint64_t v) const {
  if (v == 0) return "0x0";
  std::string out = fmt::format("{:#x}", v);
  Dwarf_Die p = strip_typedefs(pointee);
  if (is_char_type(p)) return out + " " + print_string_at(v, std::nullopt, 1);
  if (symbols_) {
    if (auto sym = symbols_(v)) out += " <" + *sym + ">";
  }
  return out;
}

std::string ValuePrinter::print_string_at(uint64_t address, std::optional<uint64_t> length,
                                          uint64_t char_size) const {
  if (char_size != 1) return fmt::format("{:#x}", address);
  size_t want = limits_.max_elements;
  if (length) want = static_cast<size_t>(std::min<uint64_t>(*length, want));
  std::vector<uint8_t> buf(want + 1);
  // Read what is there: a short read near the end of a mapping is fine for a
  // NUL-terminated string, which may end before it.
  size_t got = 0;
  while (got < buf.size()) {
    size_t chunk = std::min<size_t>(buf.size() - got, 4096 - ((address + got) & 4095));
    auto r = memory_.read(RemoteAddr(address + got),
                          std::as_writable_bytes(std::span(buf)).subspan(got, chunk));
    got += r.bytes;
    if (!r.complete(chunk)) break;
  }
  if (got == 0) return fmt::format("<error: Cannot access memory at address {:#x}>", address);
  size_t n = 0;
  bool truncated = false;
  if (length) {
    n = std::min<size_t>(got, want);
    truncated = *length > want;
    if (n < want) return "<error: string unreadable>";
  } else {
    while (n < got && n < want && buf[n] != 0) ++n;
    if (n == got && n < want)
      return fmt::format("<error: Cannot access memory at address {:#x}>", address + got);
    truncated = n == want && buf[n] != 0;
  }
  return quote_chars(std::span(buf).first(n), limits_.repeat_threshold, truncated);
}

std::string ValuePrinter::print_struct(Dwarf_Die type, std::span<const uint8_t> bytes, int depth,
                                       KnownBytes known) const {
  std::string out = "{";
  bool any = false;
  Dwarf_Die child;
  size_t budget = 10000;
  if (dwarf_child(&type, &child) == 0) {
    do {
      if (--budget == 0 || out.size() > limits_.max_output) break;
      int tag = dwarf_tag(&child);
      bool base = tag == DW_TAG_inheritance;
      if (!base && (tag != DW_TAG_member || has_flag(&child, DW_AT_external) ||
                    has_flag(&child, DW_AT_declaration)))
        continue;
      auto mtype = die_type(&child);
      if (!mtype) continue;
      uint64_t off = coro::member_offset(&child).value_or(0);
      Dwarf_Die mt = strip_typedefs(*mtype);
      uint64_t msize = type_size(&mt).value_or(0);
      std::string value;
      if (auto bits = udata(&child, DW_AT_bit_size)) {
        // DWARF 5 counts data_bit_offset from the start of the struct; DWARF 4
        // counts bit_offset from the most significant bit of the storage unit.
        uint64_t bit_start;
        if (auto dbo = udata(&child, DW_AT_data_bit_offset)) {
          bit_start = *dbo;
        } else {
          uint64_t unit = udata(&child, DW_AT_byte_size).value_or(msize);
          uint64_t bo = udata(&child, DW_AT_bit_offset).value_or(0);
          bit_start = off * 8 + unit * 8 - bo - *bits;
        }
        if (*bits == 0 || *bits > 64 || bit_start > bytes.size() * 8 ||
            (bit_start + *bits + 7) / 8 > bytes.size()) {
          value = "<unavailable>";
        } else if (coverage(known, bit_start / 8, (bit_start + *bits + 7) / 8 - bit_start / 8) !=
                   Coverage::kAll) {
          value = "<optimized out>";
        } else {
          unsigned __int128 acc = 0;
          size_t first = bit_start / 8, last = (bit_start + *bits + 7) / 8;
          for (size_t k = last; k > first; --k) acc = (acc << 8) | bytes[k - 1];
          uint64_t v = static_cast<uint64_t>(acc >> (bit_start % 8));
          if (*bits < 64) v &= (1ULL << *bits) - 1;
          bool is_signed = false;
          if (dwarf_tag(&mt) == DW_TAG_base_type) {
            auto enc = udata(&mt, DW_AT_encoding).value_or(0);
            is_signed = enc == DW_ATE_signed || enc == DW_ATE_signed_char;
          }
          if (is_signed && *bits < 64 && (v >> (*bits - 1)) & 1) v |= ~0ULL << *bits;
          uint8_t tmp[8];
          std::memcpy(tmp, &v, 8);
          value = print_value(
              *mtype, std::span<const uint8_t>(tmp, std::min<uint64_t>(8, msize ? msize : 8)),
              depth + 1);
        }
      } else if (msize == 0 && dwarf_tag(&mt) != DW_TAG_array_type) {
        continue;  // no storage (e.g. an empty base)
      } else if (off > bytes.size() || msize > bytes.size() - off) {
        value = "<unavailable>";
      } else {
        value = print_value(*mtype, bytes.subspan(off, msize), depth + 1,
                            known_part(known, off, msize));
      }
      if (any) out += ", ";
      any = true;
      std::string_view mname = die_name(&child);
      if (base)
        out += "<" + type_name(mt) + "> = " + value;
      else if (mname.empty())  // an anonymous union or struct: gdb shows its value alone
        out += value;
      else
        out += std::string(mname) + " = " + value;
    } while (dwarf_siblingof(&child, &child) == 0);
  }
  if (!any) return "{<No data fields>}";
  return out + "}";
}

std::string ValuePrinter::print_array(Dwarf_Die type, std::span<const uint8_t> bytes, int depth,
                                      KnownBytes known) const {
  auto element = die_type(&type);
  if (!element) return "<array of unknown type>";
  std::vector<uint64_t> dims;
  Dwarf_Die sub;
  if (dwarf_child(&type, &sub) == 0) {
    do {
      if (dwarf_tag(&sub) != DW_TAG_subrange_type && dwarf_tag(&sub) != DW_TAG_enumeration_type)
        continue;
      auto c = subrange_count(&sub);
      if (!c) return "<array of unknown length>";
      dims.push_back(*c);
      if (dims.size() > 8) return "<array of too many dimensions>";
    } while (dwarf_siblingof(&sub, &sub) == 0);
  }
  if (dims.empty()) return "<array of unknown length>";
  Dwarf_Die et = strip_typedefs(*element);
  uint64_t esize = type_size(&et).value_or(0);
  // The element of dimension 0 is the array of the remaining dimensions:
  // print those as nested braces by recursing on the byte ranges.
  std::function<std::string(size_t, std::span<const uint8_t>, KnownBytes, uint64_t)> dim =
      [&](size_t d, std::span<const uint8_t> b, KnownBytes k,
          uint64_t stride_elems) -> std::string {
    if (d + 1 == dims.size()) return print_elements(*element, esize, b, dims[d], depth, k);
    uint64_t inner = stride_elems / (dims[d] ? dims[d] : 1);
    std::string out = "{";
    for (uint64_t i = 0; i < dims[d] && i < limits_.max_elements; ++i) {
      if (i) out += ", ";
      uint64_t start = i * inner * esize;
      if (start > b.size()) return out + "...}";
      uint64_t len = std::min<uint64_t>(inner * esize, b.size() - start);
      out += dim(d + 1, b.subspan(start, len), known_part(k, start, len), inner);
    }
    return out + "}";
  };
  uint64_t total = 1;
  for (uint64_t n : dims) total = n && total > UINT64_MAX / n ? UINT64_MAX : total * n;
  return dim(0, bytes, known, total);
}

std::string ValuePrinter::print_elements(Dwarf_Die element, uint64_t esize,
                                         std::span<const uint8_t> bytes, uint64_t count, int depth,
                                         KnownBytes known) const {
  if (esize == 0) return "{}";
  uint64_t have = std::min<uint64_t>(count, bytes.size() / esize);
  if (coverage(known, 0, bytes.size()) == Coverage::kAll) known = {};
  if (is_char_type(element) && known.empty()) {
    // char arrays print as strings; one trailing NUL is the terminator.
    uint64_t n = have;
    bool cut = n > limits_.max_elements;
    if (cut)
      n = limits_.max_elements;
    else if (n > 0 && bytes[n - 1] == 0)
      --n;
    return quote_chars(bytes.first(n), limits_.repeat_threshold, cut);
  }
  std::string out = "{";
  uint64_t shown = 0;
  for (uint64_t i = 0; i < have;) {
    if (shown >= limits_.max_elements || out.size() > limits_.max_output) {
      out += "...";
      break;
    }
    auto same = [&](uint64_t a, uint64_t b) {
      return std::memcmp(bytes.data() + a * esize, bytes.data() + b * esize, esize) == 0 &&
             (known.empty() ||
              std::memcmp(known.data() + a * esize, known.data() + b * esize, esize) == 0);
    };
    uint64_t run = 1;
    while (i + run < have && same(i, i + run)) ++run;
    if (shown) out += ", ";
    out += print_value(element, bytes.subspan(i * esize, esize), depth + 1,
                       known_part(known, i * esize, esize));
    if (run > limits_.repeat_threshold) {
      out += fmt::format(" <repeats {} times>", run);
      i += run;
      shown += limits_.repeat_threshold;
    } else {
      ++i;
      ++shown;
    }
  }
  if (have < count && shown < limits_.max_elements)
    out += shown ? ", <unavailable>" : "<unavailable>";
  return out + "}";
}

std::string ValuePrinter::print_elements_at(Dwarf_Die element, uint64_t address, uint64_t count,
                                            int depth) const {
  Dwarf_Die et = strip_typedefs(element);
  uint64_t esize = type_size(&et).value_or(0);
  if (esize == 0) return "{...}";
  uint64_t n = std::min<uint64_t>(count, limits_.max_elements);
  if (n > limits_.max_value_bytes / esize) n = limits_.max_value_bytes / esize;
  std::vector<uint8_t> buf(n * esize);
  auto r = memory_.read(RemoteAddr(address), std::as_writable_bytes(std::span(buf)));
  if (!r.complete(buf.size()))
    return fmt::format("{{<error: Cannot access memory at address {:#x}>}}", address + r.bytes);
  std::string s = print_elements(element, esize, buf, n, depth);
  if (n < count && s.size() >= 1 && s.back() == '}' && s.find("...") == std::string::npos)
    s.insert(s.size() - 1, "...");
  return s;
}

}  // namespace corostack::variables
