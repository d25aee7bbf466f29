#include "coro/coro_symbols.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace corostack::coro {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::optional<CloneName> parse_clang(std::string_view symbol) {
  static constexpr std::pair<std::string_view, CloneRole> kSuffixes[] = {
      {".resume", CloneRole::kResume},
      {".destroy", CloneRole::kDestroy},
      {".cleanup", CloneRole::kCleanup},
  };
  for (auto [suffix, role] : kSuffixes) {
    if (!ends_with(symbol, suffix)) continue;
    std::string_view ramp = symbol.substr(0, symbol.size() - suffix.size());
    // A ramp is one mangled name: no further clone suffix such as
    // `.__await_suspend_wrapper__await` or `.cold` may precede ours.
    if (ramp.size() < 3 || ramp.substr(0, 2) != "_Z" || ramp.find('.') != std::string_view::npos) {
      return std::nullopt;
    }
    return CloneName{std::string(ramp), CoroCompiler::kClang, role};
  }
  return std::nullopt;
}

// `(\d+)(_Z[^.]+)\.Frame\.(actor|destroy)$` with the length check: the digits
// before the embedded ramp encode strlen(ramp) + strlen(".Frame").
std::optional<CloneName> parse_gcc(std::string_view symbol) {
  CloneRole role;
  std::string_view base;
  if (ends_with(symbol, ".Frame.actor")) {
    role = CloneRole::kResume;
    base = symbol.substr(0, symbol.size() - 12);
  } else if (ends_with(symbol, ".Frame.destroy")) {
    role = CloneRole::kDestroy;
    base = symbol.substr(0, symbol.size() - 14);
  } else {
    return std::nullopt;
  }
  if (base.find('.') != std::string_view::npos) return std::nullopt;
  // Try every embedded "_Z", rightmost first: the ramp is the shortest tail
  // whose length prefix matches.
  for (size_t p = base.rfind("_Z"); p != std::string_view::npos && p > 0;
       p = base.rfind("_Z", p - 1)) {
    uint64_t expected = base.size() - p + 6;
    uint64_t value = 0, scale = 1;
    for (size_t d = p; d > 0 && std::isdigit(static_cast<unsigned char>(base[d - 1])); --d) {
      value += static_cast<uint64_t>(base[d - 1] - '0') * scale;
      if (value == expected) {
        return CloneName{std::string(base.substr(p)), CoroCompiler::kGcc, role};
      }
      if (scale > 1'000'000'000) break;
      scale *= 10;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<CloneName> parse_clone_name(std::string_view symbol) {
  if (auto c = parse_gcc(symbol)) return c;
  return parse_clang(symbol);
}

bool is_noop_coroutine_symbol(std::string_view symbol) {
  if (symbol.find("__NoopCoro_ResumeDestroy") != std::string_view::npos) return true;
  return symbol.find("noop_coroutine_promise") != std::string_view::npos &&
         symbol.find("__dummy_resume_destroy") != std::string_view::npos;
}

Result<std::vector<CoroSymbols>> find_coroutine_symbols(Dwfl_Module* module) {
  int nsyms = dwfl_module_getsymtab(module);
  if (nsyms < 0) {
    return make_error(ErrorKind::kNotFound,
                      std::string("no symbol table: ") + dwfl_errmsg(dwfl_errno()));
  }
  std::map<std::string, CoroSymbols> by_ramp;
  for (int i = 1; i < nsyms; ++i) {
    GElf_Sym sym;
    GElf_Addr addr = 0;
    const char* name = dwfl_module_getsym_info(module, i, &sym, &addr, nullptr, nullptr, nullptr);
    if (!name || GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF) continue;
    auto clone = parse_clone_name(name);
    if (!clone) continue;
    CoroSymbols& s = by_ramp[clone->ramp];
    s.ramp = clone->ramp;
    s.compiler = clone->compiler;
    // .symtab and an auxiliary table may both list a clone: keep the first.
    switch (clone->role) {
      case CloneRole::kResume:
        if (!s.resume) {
          s.resume = addr;
          s.resume_size = sym.st_size;
        }
        break;
      case CloneRole::kDestroy:
        if (!s.destroy) s.destroy = addr;
        break;
      case CloneRole::kCleanup:
        if (!s.cleanup) s.cleanup = addr;
        break;
    }
  }
  // Second pass for the ramps themselves (their DIE has the declaration and,
  // in clang 14, the nested frame type).
  for (int i = 1; i < nsyms && !by_ramp.empty(); ++i) {
    GElf_Sym sym;
    GElf_Addr addr = 0;
    const char* name = dwfl_module_getsym_info(module, i, &sym, &addr, nullptr, nullptr, nullptr);
    if (!name || GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF) continue;
    if (auto it = by_ramp.find(name); it != by_ramp.end() && !it->second.ramp_addr) {
      it->second.ramp_addr = addr;
    }
  }
  std::vector<CoroSymbols> out;
  out.reserve(by_ramp.size());
  for (auto& [ramp, s] : by_ramp) out.push_back(std::move(s));
  return out;
}

}  // namespace corostack::coro
