#include "diagnose/data_symbols.hpp"

#include <elf.h>

#include "native/demangle.hpp"

namespace corostack::diagnose {

std::string data_symbol(DwflSession& session, uint64_t address) {
  Dwfl_Module* mod = dwfl_addrmodule(session.dwfl(), address);
  if (!mod) return {};
  GElf_Off off = 0;
  GElf_Sym sym{};
  const char* name = dwfl_module_addrinfo(mod, address, &off, &sym, nullptr, nullptr, nullptr);
  if (!name || *name == '\0') return {};
  int type = GELF_ST_TYPE(sym.st_info);
  if (type != STT_OBJECT && type != STT_TLS && type != STT_NOTYPE) return {};
  // addrinfo also answers for addresses past a sized symbol's end: only
  // addresses inside the object name it.
  if (sym.st_size != 0 && off >= sym.st_size) return {};
  std::string s = demangle(name);
  if (off != 0) s += "+" + std::to_string(off);
  return s;
}

}  // namespace corostack::diagnose
