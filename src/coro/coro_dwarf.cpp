#include "coro/coro_dwarf.hpp"

#include <dwarf.h>

#include <array>
#include <cstdlib>
#include <vector>

#include "base/checked.hpp"
#include "coro/dwarf_types.hpp"

namespace corostack::coro {
namespace {

constexpr int kMaxBlockDepth = 16;
constexpr int kMaxNesting = 64;
constexpr size_t kMaxDiesPerWalk = 4'000'000;

// The first subprogram, at any depth under `parent`, whose code contains pc:
// unlike ScopeIndex and dwarf_getscopes this also looks inside functions
// whose own ranges do not contain pc.
bool find_subprogram_deep(Dwarf_Die* parent, Dwarf_Addr pc, int depth, size_t& budget,
                          Dwarf_Die* out) {
  if (depth > kMaxNesting) return false;
  Dwarf_Die child;
  if (dwarf_child(parent, &child) != 0) return false;
  do {
    if (budget == 0) return false;
    --budget;
    if (dwarf_tag(&child) == DW_TAG_subprogram && dwarf_haspc(&child, pc) > 0) {
      *out = child;
      return true;
    }
    if (dwarf_haschildren(&child) && find_subprogram_deep(&child, pc, depth + 1, budget, out)) {
      return true;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  return false;
}

bool is_declaration(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  bool flag = false;
  return dwarf_attr(die, DW_AT_declaration, &attr) && dwarf_formflag(&attr, &flag) == 0 && flag;
}

bool is_struct(Dwarf_Die* die) {
  int tag = dwarf_tag(die);
  return (tag == DW_TAG_structure_type || tag == DW_TAG_class_type) && !is_declaration(die);
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// What the clones' and ramp's DIE trees say about the frame and promise.
struct Findings {
  std::optional<Dwarf_Die> frame_from_var;    // __coro_frame / frame_ptr
  std::optional<Dwarf_Die> frame_struct;      // nested frame struct
  std::optional<Dwarf_Die> promise_from_var;  // __promise / _Coro_promise
};

void scan_function(Dwarf_Die* parent, const CoroSymbols& symbols, int depth, Findings& f) {
  if (depth > kMaxBlockDepth) return;
  Dwarf_Die child;
  if (dwarf_child(parent, &child) != 0) return;
  do {
    int tag = dwarf_tag(&child);
    std::string_view name = die_name(&child);
    if (tag == DW_TAG_variable || tag == DW_TAG_formal_parameter) {
      if (name == "__coro_frame" || name == "frame_ptr") {
        if (auto t = die_type(&child); t && !f.frame_from_var) {
          Dwarf_Die frame = strip_pointer(*t);
          if (is_struct(&frame)) f.frame_from_var = frame;
        }
      } else if (name == "__promise" || name == "_Coro_promise") {
        if (auto t = die_type(&child); t && !f.promise_from_var) {
          Dwarf_Die promise = strip_typedefs(*t);
          if (is_struct(&promise)) f.promise_from_var = promise;
        }
      }
    } else if (tag == DW_TAG_structure_type && !f.frame_struct && is_struct(&child)) {
      if (name == "__coro_frame_ty" || name == symbols.ramp + ".coro_frame_ty" ||
          name == symbols.ramp + ".Frame") {
        f.frame_struct = child;
      }
    } else if (tag == DW_TAG_lexical_block) {
      scan_function(&child, symbols, depth + 1, f);
    }
  } while (dwarf_siblingof(&child, &child) == 0);
}

// The frame member holding the promise: by name, else clang 22 -O2's
// synthesised `struct_<type>_promise_type_N`.
bool is_promise_member_name(std::string_view name) {
  return name == "__promise" || name == "_Coro_promise" || name == "__p";
}
bool is_synthesised_promise_name(std::string_view name) {
  return (starts_with(name, "struct_") || starts_with(name, "class_")) &&
         name.find("promise") != std::string_view::npos;
}

BitField read_bitfield(Dwarf_Die* member, uint64_t offset) {
  BitField b;
  b.offset = offset;
  Dwarf_Attribute attr;
  Dwarf_Word v = 0;
  if (dwarf_attr(member, DW_AT_byte_size, &attr) && dwarf_formudata(&attr, &v) == 0) {
    b.byte_size = static_cast<uint32_t>(v);
  } else if (auto t = die_type(member)) {
    Dwarf_Die type = strip_typedefs(*t);
    b.byte_size = static_cast<uint32_t>(type_size(&type).value_or(0));
  }
  if (!dwarf_attr(member, DW_AT_bit_size, &attr) || dwarf_formudata(&attr, &v) != 0 || v == 0) {
    return b;  // whole bytes
  }
  b.bit_size = static_cast<uint32_t>(v);
  uint32_t unit_bits = b.byte_size * 8;
  if (dwarf_attr(member, DW_AT_data_bit_offset, &attr) && dwarf_formudata(&attr, &v) == 0) {
    // DWARF 5: bits from the start of the struct; place the storage unit on
    // a byte_size boundary when the field fits in it.
    uint64_t unit = b.byte_size ? (v / unit_bits) * b.byte_size : v / 8;
    uint64_t bit = v - unit * 8;
    if (b.byte_size == 0 || bit + b.bit_size > unit_bits) {
      unit = v / 8;
      bit = v % 8;
      b.byte_size = static_cast<uint32_t>((bit + b.bit_size + 7) / 8);
    }
    b.offset = unit;
    b.bit_offset = static_cast<uint32_t>(bit);
  } else if (dwarf_attr(member, DW_AT_bit_offset, &attr) && dwarf_formudata(&attr, &v) == 0) {
    // DWARF 2-4: bits from the most significant bit of the storage unit.
    if (v + b.bit_size <= unit_bits)
      b.bit_offset = static_cast<uint32_t>(unit_bits - v - b.bit_size);
  }
  return b;
}

void read_frame_members(Dwarf_Die* frame, CoroutineInfo& info,
                        std::optional<Dwarf_Die>& promise_member) {
  Dwarf_Die child;
  if (dwarf_child(frame, &child) != 0) return;
  std::optional<Dwarf_Die> synthesised;
  do {
    if (dwarf_tag(&child) != DW_TAG_member) continue;
    std::string_view name = die_name(&child);
    if (is_promise_member_name(name)) {
      if (!promise_member) promise_member = child;
    } else if (is_synthesised_promise_name(name)) {
      if (!synthesised) synthesised = child;
    } else if (name == "__coro_index" || name == "_Coro_resume_index" || name == "__resume_at") {
      if (auto off = member_offset(&child); off && !info.index) {
        info.index = read_bitfield(&child, *off);
      }
    } else if (name == "_Coro_self_handle") {
      if (auto off = member_offset(&child)) info.self_handle_offset = *off;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  if (!promise_member) promise_member = synthesised;
}

// The declaration of the method named like `clone` in the class that
// encloses it, else the class's own declaration.
bool enclosing_method_decl(Dwarf_Die* clone, CoroutineInfo& info) {
  std::string_view name = die_name(clone);
  Dwarf_Die* scopes = nullptr;
  int n = dwarf_getscopes_die(clone, &scopes);
  bool found = false;
  for (int i = 1; i < n && !found; ++i) {
    int tag = dwarf_tag(&scopes[i]);
    if (tag != DW_TAG_class_type && tag != DW_TAG_structure_type) continue;
    Dwarf_Die child;
    if (dwarf_child(&scopes[i], &child) != 0) break;
    do {
      int line = 0;
      const char* file = nullptr;
      if (dwarf_tag(&child) == DW_TAG_subprogram && die_name(&child) == name &&
          dwarf_decl_line(&child, &line) == 0 && line > 0 && (file = decl_file(&child))) {
        info.decl_file = file;
        info.decl_line = line;
        found = true;
      }
    } while (!found && dwarf_siblingof(&child, &child) == 0);
    // A closure type declares no operator() at -O2; it starts where the
    // lambda does.
    int line = 0;
    const char* file = nullptr;
    if (!found && dwarf_decl_line(&scopes[i], &line) == 0 && line > 0 &&
        (file = decl_file(&scopes[i]))) {
      info.decl_file = file;
      info.decl_line = line;
      found = true;
    }
    break;  // only the innermost class
  }
  free(scopes);
  return found;
}

void read_decl(const CoroDies& dies, CoroutineInfo& info) {
  for (const auto* die : {&dies.ramp, &dies.resume, &dies.destroy, &dies.cleanup}) {
    if (!*die) continue;
    Dwarf_Die d = **die;
    int line = 0;
    const char* file = decl_file(&d);
    if (dwarf_decl_line(&d, &line) != 0 || line <= 0 || !file) continue;
    info.decl_file = file;
    info.decl_line = line;
    return;
  }
  // GCC 12 marks a lambda's ramp and clones artificial, without a
  // declaration: the line of the ramp's first instruction is the lambda's
  // opening line.
  if (dies.ramp_cu && dies.ramp_addr) {
    Dwarf_Die cu = *dies.ramp_cu;
    if (Dwarf_Line* l = dwarf_getsrc_die(&cu, dies.ramp_addr - dies.bias)) {
      int line = 0;
      const char* file = dwarf_linesrc(l, nullptr, nullptr);
      if (dwarf_lineno(l, &line) == 0 && line > 0 && file) {
        info.decl_file = file;
        info.decl_line = line;
        return;
      }
    }
  }
  // The ramp was inlined away (-O2): GCC nests the clones in the closure
  // class, which has the line.
  for (const auto* die : {&dies.destroy, &dies.resume}) {
    if (!*die) continue;
    Dwarf_Die d = **die;
    if (enclosing_method_decl(&d, info)) return;
  }
}

}  // namespace

Dwarf_Die* ModuleDwarf::unit_at(uint64_t addr, Dwarf_Addr* bias) {
  return units_.unit_at(module_, addr, bias);
}

bool ModuleDwarf::subprogram_at(uint64_t addr, Dwarf_Die* subprogram, Dwarf_Die* cu,
                                Dwarf_Addr* bias) {
  Dwarf_Die* cudie = unit_at(addr, bias);
  if (!cudie) return false;
  Dwarf_Addr pc = addr - *bias;
  std::vector<Dwarf_Die> chain = scopes_.scopes(cudie, pc);
  if (!chain.empty()) {
    *subprogram = chain.back();
    *cu = *cudie;
    return true;
  }
  // Functions nested where ScopeIndex does not look: GCC emits a lambda's
  // actor/destroy inside the enclosing function's DIE, whose ranges do not
  // cover them, so dwarf_getscopes misses them too. Walk the whole unit.
  size_t budget = kMaxDiesPerWalk;
  if (!find_subprogram_deep(cudie, pc, 0, budget, subprogram)) return false;
  *cu = *cudie;
  return true;
}

std::optional<Dwarf_Die> ModuleDwarf::unit_struct(Dwarf_Die* cu, const std::string& name) {
  auto [it, inserted] = unit_structs_.try_emplace(cu->addr);
  if (inserted) {
    Dwarf_Die child;
    if (dwarf_child(cu, &child) == 0) {
      do {
        if (dwarf_tag(&child) != DW_TAG_structure_type || is_declaration(&child)) continue;
        std::string_view n = die_name(&child);
        if (n.find(".coro_frame_ty") != std::string_view::npos ||
            n.find(".Frame") != std::string_view::npos) {
          it->second.emplace(std::string(n), child);
        }
      } while (dwarf_siblingof(&child, &child) == 0);
    }
  }
  auto found = it->second.find(name);
  if (found == it->second.end()) return std::nullopt;
  return found->second;
}

CoroDies locate_coroutine_dies(ModuleDwarf& dwarf, const CoroSymbols& symbols) {
  CoroDies dies;
  const std::array<std::pair<uint64_t, std::optional<Dwarf_Die>*>, 4> wanted = {{
      {symbols.destroy, &dies.destroy},
      {symbols.cleanup, &dies.cleanup},
      {symbols.resume, &dies.resume},
      {symbols.ramp_addr, &dies.ramp},
  }};
  for (auto [addr, slot] : wanted) {
    if (!addr) continue;
    Dwarf_Die sub, cu;
    Dwarf_Addr bias = 0;
    if (!dwarf.subprogram_at(addr, &sub, &cu, &bias)) continue;
    *slot = sub;
    if (slot == &dies.ramp) {
      dies.ramp_cu = cu;
      dies.ramp_addr = addr;
    }
    if (!dies.cu) {
      dies.cu = cu;
      dies.bias = bias;
    }
  }
  return dies;
}

void read_coroutine_layout(ModuleDwarf& dwarf, const CoroDies& dies, const CoroSymbols& symbols,
                           const CoroTableOptions& options, CoroutineInfo& info) {
  read_decl(dies, info);

  // Destroy first: resume is nulled at final suspend, and at -O2 the destroy
  // clone is where clang keeps its artificial variables most reliably.
  Findings f;
  for (const auto* die : {&dies.destroy, &dies.cleanup, &dies.resume, &dies.ramp}) {
    if (!*die) continue;
    Dwarf_Die d = **die;
    scan_function(&d, symbols, 0, f);
  }
  std::optional<Dwarf_Die> frame = f.frame_from_var ? f.frame_from_var : f.frame_struct;
  if (!frame && dies.cu) {
    Dwarf_Die cu = *dies.cu;
    frame = dwarf.unit_struct(&cu, symbols.ramp + ".coro_frame_ty");
    if (!frame) frame = dwarf.unit_struct(&cu, symbols.ramp + ".Frame");
  }

  std::optional<Dwarf_Die> promise_member;
  if (frame) {
    info.frame_type = qualified_name(&*frame);
    info.frame_die = *frame;
    info.frame_size = type_size(&*frame).value_or(0);
    read_frame_members(&*frame, info, promise_member);
  }

  std::optional<Dwarf_Die> promise = f.promise_from_var;
  if (!promise && promise_member) {
    if (auto t = die_type(&*promise_member)) {
      Dwarf_Die p = strip_typedefs(*t);
      if (is_struct(&p)) promise = p;
    }
  }
  if (promise) {
    info.promise_type = qualified_name(&*promise);
    info.promise_size = type_size(&*promise).value_or(0);
    info.promise_align = type_alignment(&*promise);
  }
  if (promise_member) {
    if (auto off = member_offset(&*promise_member)) info.promise_offset = *off;
  } else if (promise) {
    // No frame type (clang 17-19 at -O2): the ABI puts the promise after the
    // two function pointers, padded to its alignment.
    uint64_t align = info.promise_align ? info.promise_align : 1;
    if ((align & (align - 1)) == 0) info.promise_offset = align_up(16, align);
  }
  if (promise) {
    info.promise_members = promise_members(*promise);
    for (const std::string& name : options.continuation_names) {
      if (auto off = find_member_path(*promise, name)) {
        info.continuation_offset = off;
        break;
      }
    }
  }
}

}  // namespace corostack::coro
