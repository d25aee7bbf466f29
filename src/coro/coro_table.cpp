#include "coro/coro_table.hpp"

#include <algorithm>

#include "coro/coro_dwarf.hpp"
#include "coro/coro_symbols.hpp"
#include "coro/suspend_points.hpp"
#include "native/demangle.hpp"

namespace corostack::coro {

Result<std::vector<CoroutineInfo>> build_coroutine_table(Dwfl_Module* module,
                                                         const CoroTableOptions& options) {
  if (!module) return make_error(ErrorKind::kUsage, "no module");
  auto symbols = find_coroutine_symbols(module);
  if (!symbols.ok()) return symbols.error();

  ModuleDwarf dwarf(module);
  std::vector<CoroutineInfo> table;
  table.reserve(symbols->size());
  for (const CoroSymbols& s : *symbols) {
    CoroutineInfo info;
    info.ramp_linkage = s.ramp;
    info.name = demangle(s.ramp.c_str());
    info.compiler = s.compiler;
    info.resume = s.resume;
    info.resume_size = s.resume_size;
    info.destroy = s.destroy;
    info.cleanup = s.cleanup;
    CoroDies dies = locate_coroutine_dies(dwarf, s);
    read_coroutine_layout(dwarf, dies, s, options, info);
    resolve_suspend_points(dwarf, dies, info);
    table.push_back(std::move(info));
  }
  return table;
}

std::vector<uint64_t> noop_coroutine_functions(Dwfl_Module* module) {
  std::vector<uint64_t> out;
  int nsyms = module ? dwfl_module_getsymtab(module) : -1;
  for (int i = 1; i < nsyms; ++i) {
    GElf_Sym sym;
    GElf_Addr addr = 0;
    const char* name = dwfl_module_getsym_info(module, i, &sym, &addr, nullptr, nullptr, nullptr);
    if (!name || GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF) continue;
    if (is_noop_coroutine_symbol(name)) out.push_back(addr);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace corostack::coro
