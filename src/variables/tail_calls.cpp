#include "variables/tail_calls.hpp"

#include <dwarf.h>

#include <functional>
#include <optional>

#include "native/demangle.hpp"
#include "variables/call_sites.hpp"

namespace corostack::variables {
namespace {

constexpr int kMaxChain = 4;     // tail calls in a row we look through
constexpr size_t kMaxPaths = 2;  // a second path makes the chain ambiguous

bool is_definition(Dwarf_Die* die) {
  Dwarf_Attribute a;
  bool decl = false;
  if (dwarf_attr(die, DW_AT_declaration, &a) && dwarf_formflag(&a, &decl) == 0 && decl)
    return false;
  return dwarf_hasattr(die, DW_AT_low_pc) || dwarf_hasattr(die, DW_AT_ranges);
}

// Where a call site's call instruction is: DW_AT_call_pc (clang), else just
// before its return address (GCC marks tail calls with the address after the jmp).
std::optional<Dwarf_Addr> call_instruction(Dwarf_Die* site) {
  Dwarf_Attribute a;
  Dwarf_Addr pc;
  if (dwarf_attr(site, DW_AT_call_pc, &a) && dwarf_formaddr(&a, &pc) == 0) return pc;
  if ((dwarf_attr(site, DW_AT_call_return_pc, &a) || dwarf_attr(site, DW_AT_low_pc, &a)) &&
      dwarf_formaddr(&a, &pc) == 0 && pc > 0)
    return pc - 1;
  return std::nullopt;
}

struct Step {
  Dwarf_Die function;
  Dwarf_Die site;  // its tail call to the next step (or to the callee)
};

}  // namespace

bool TailCalls::names_function(const std::string& key, Dwfl_Module* module, uint64_t start) {
  auto [it, inserted] = symbols_.try_emplace(module);
  if (inserted) {
    int n = dwfl_module_getsymtab(module);
    for (int i = 1; i < n && i < 2'000'000; ++i) {
      GElf_Sym sym;
      GElf_Addr addr;
      const char* name = dwfl_module_getsym_info(module, i, &sym, &addr, nullptr, nullptr, nullptr);
      if (name && GELF_ST_TYPE(sym.st_info) == STT_FUNC && sym.st_value != 0)
        it->second.emplace(addr, strip_symbol_version(name));
    }
  }
  auto [first, last] = it->second.equal_range(start);
  for (auto i = first; i != last; ++i)
    if (i->second == key) return true;
  return false;
}

std::vector<TailCallFrame> TailCalls::between(const RawFrame& callee, const RawFrame& caller) {
  if (caller.is_activation || caller.pc == 0) return {};
  Dwfl* dwfl = session_.dwfl();
  // The caller's call site for this return address.
  Dwarf_Addr caller_adj = caller.pc - 1;
  Dwfl_Module* caller_mod = dwfl_addrmodule(dwfl, caller_adj);
  if (!caller_mod) return {};
  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = units_.unit_at(caller_mod, caller_adj, &bias);
  if (!cu) return {};
  auto scopes = scopes_.scopes(cu, caller_adj - bias);
  if (scopes.empty()) return {};
  auto site = call_site_at(scopes.back(), caller.pc - bias);
  if (!site) return {};
  auto origin = call_site_callee(*site);
  if (!origin) return {};  // an indirect call: whom it called is unknown

  // The function the unwinder found: its start and symbols.
  Dwarf_Addr callee_adj = callee.is_activation || callee.pc == 0 ? callee.pc : callee.pc - 1;
  Dwfl_Module* callee_mod = dwfl_addrmodule(dwfl, callee_adj);
  if (!callee_mod) return {};
  GElf_Off off = 0;
  GElf_Sym sym;
  if (!dwfl_module_addrinfo(callee_mod, callee_adj, &off, &sym, nullptr, nullptr, nullptr))
    return {};
  uint64_t callee_start = callee_adj - off;
  auto is_callee = [&](Dwarf_Die fn) {
    auto key = function_key(fn);
    return key && names_function(*key, callee_mod, callee_start);
  };
  if (is_callee(*origin)) return {};

  // Chains of tail calls from the called function to the callee.
  std::vector<std::vector<Step>> paths;
  std::vector<Step> path;
  std::function<void(Dwarf_Die, int)> walk = [&](Dwarf_Die fn, int depth) {
    if (paths.size() >= kMaxPaths || depth >= kMaxChain || !is_definition(&fn)) return;
    for (Dwarf_Die& tail : tail_call_sites(fn)) {
      auto next = call_site_callee(tail);
      if (!next) continue;
      path.push_back(Step{fn, tail});
      if (is_callee(*next))
        paths.push_back(path);
      else
        walk(*next, depth + 1);
      path.pop_back();
      if (paths.size() >= kMaxPaths) return;
    }
  };
  walk(*origin, 0);
  if (paths.size() != 1) return {};

  const char* modname =
      dwfl_module_info(caller_mod, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  std::vector<TailCallFrame> out;
  // The path runs from the caller's side inwards; frames are innermost first.
  for (auto it = paths[0].rbegin(); it != paths[0].rend(); ++it) {
    TailCallFrame f;
    auto key = function_key(it->function);
    f.function = key ? demangle(key->c_str()) : "??";
    f.module = modname ? modname : "";
    if (auto pc = call_instruction(&it->site)) {
      f.pc = *pc + bias;
      Dwarf_Die site_cu;
      if (dwarf_diecu(&it->site, &site_cu, nullptr, nullptr)) {
        if (Dwarf_Line* line = dwarf_getsrc_die(&site_cu, *pc)) {
          const char* file = dwarf_linesrc(line, nullptr, nullptr);
          int lineno = 0;
          dwarf_lineno(line, &lineno);
          if (file) {
            f.file = file;
            f.line = lineno;
          }
        }
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace corostack::variables
