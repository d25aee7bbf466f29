#include "native/symbolizer.hpp"

#include <dwarf.h>
#include <elfutils/libdw.h>

#include "native/demangle.hpp"

namespace corostack {
namespace {

// The name of a subprogram or inlined_subroutine DIE, following
// DW_AT_abstract_origin / DW_AT_specification.
std::optional<std::string> die_function_name(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  const char* linkage = nullptr;
  if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) ||
      dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr)) {
    linkage = dwarf_formstring(&attr);
  }
  if (linkage) return demangle(linkage);
  if (dwarf_attr_integrate(die, DW_AT_name, &attr)) {
    if (const char* n = dwarf_formstring(&attr)) return std::string(n);
  }
  return std::nullopt;
}

// File name for a DW_AT_call_file index.
std::string call_file(Dwarf_Die* cudie, Dwarf_Die* die) {
  Dwarf_Attribute attr;
  Dwarf_Word idx;
  if (!dwarf_attr(die, DW_AT_call_file, &attr) || dwarf_formudata(&attr, &idx) != 0) return {};
  Dwarf_Files* files;
  size_t nfiles;
  if (dwarf_getsrcfiles(cudie, &files, &nfiles) != 0 || idx >= nfiles) return {};
  const char* f = dwarf_filesrc(files, idx, nullptr, nullptr);
  return f ? f : "";
}

int call_line(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  Dwarf_Word v;
  if (!dwarf_attr(die, DW_AT_call_line, &attr) || dwarf_formudata(&attr, &v) != 0) return 0;
  return static_cast<int>(v);
}

}  // namespace

const std::vector<SymbolFrame>& Symbolizer::symbolize(uint64_t pc, bool is_activation) {
  uint64_t key = (pc << 1) | (is_activation ? 1 : 0);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  return cache_.emplace(key, lookup(pc, is_activation)).first->second;
}

std::vector<SymbolFrame> Symbolizer::lookup(uint64_t pc, bool is_activation) {
  Dwarf_Addr adj = is_activation || pc == 0 ? pc : pc - 1;
  SymbolFrame outer;
  Dwfl_Module* mod = dwfl_addrmodule(session_.dwfl(), adj);
  if (!mod) return {outer};
  const char* modname =
      dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  outer.module = modname ? modname : "";

  GElf_Off sym_off = 0;
  GElf_Sym sym;
  if (const char* name =
          dwfl_module_addrinfo(mod, adj, &sym_off, &sym, nullptr, nullptr, nullptr)) {
    outer.function = demangle(strip_symbol_version(name).c_str());
    outer.offset = sym_off + (pc - adj);
  }
  if (!use_dwarf_) return {outer};

  // Inlined calls at this pc: scopes run innermost first; each
  // inlined_subroutine is a frame whose caller's location is its call site.
  std::vector<SymbolFrame> frames;
  Dwarf_Addr bias = 0;
  // Only a unit that contains pc: libdw may hand back the nearest one (e.g.
  // for _start from crt1.o), or none at all for clang code (no aranges).
  Dwarf_Die* cudie = units_.unit_at(mod, adj, &bias);
  if (cudie) {
    if (Dwarf_Line* line = dwarf_getsrc_die(cudie, adj - bias)) {
      int lineno = 0;
      const char* file = dwarf_linesrc(line, nullptr, nullptr);
      dwarf_lineno(line, &lineno);
      if (file) {
        outer.file = file;
        outer.line = lineno;
      }
    }
  }
  std::vector<Dwarf_Die> scopes;
  if (cudie) scopes = scope_index_.scopes(cudie, adj - bias);
  std::string file = outer.file;
  int line = outer.line;
  // scopes: innermost inlined call first, the containing subprogram last.
  for (size_t i = 0; i + 1 < scopes.size(); ++i) {
    SymbolFrame f;
    f.function = die_function_name(&scopes[i]);
    f.module = outer.module;
    f.file = file;
    f.line = line;
    f.inlined = true;
    frames.push_back(std::move(f));
    file = call_file(cudie, &scopes[i]);
    line = call_line(&scopes[i]);
  }
  if (!frames.empty()) {
    // The function that everything was inlined into is reported at the call site.
    outer.file = file;
    outer.line = line;
  }
  frames.push_back(std::move(outer));
  return frames;
}

}  // namespace corostack
