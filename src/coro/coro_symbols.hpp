#pragma once
// Coroutine clones in a module's symbol table. Both compilers split a
// coroutine into a ramp (the function the user calls) and clones whose
// addresses sit in every frame: clang `_Z4leafi.resume/.destroy/.cleanup`,
// GCC `_Z4leafPZ4leafiE14_Z4leafi.Frame.actor/.destroy` (the ramp's mangled
// name is embedded after its length + 6 for ".Frame"). These are LOCAL
// symbols, so only .symtab (or MiniDebugInfo) has them.
#include <elfutils/libdwfl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "coro/coro_table.hpp"

namespace corostack::coro {

enum class CloneRole { kResume, kDestroy, kCleanup };

struct CloneName {
  std::string ramp;  // mangled ramp name
  CoroCompiler compiler = CoroCompiler::kClang;
  CloneRole role = CloneRole::kResume;
};

// Classifies one symbol name; nullopt for anything that is not a coroutine
// clone (including clang's `.__await_suspend_wrapper__*` and GCC's `.cold` parts).
std::optional<CloneName> parse_clone_name(std::string_view symbol);

// True for the noop coroutine's resume/destroy function (libstdc++ or libc++).
bool is_noop_coroutine_symbol(std::string_view symbol);

// The clones of one coroutine, runtime addresses (0 = absent).
struct CoroSymbols {
  std::string ramp;
  CoroCompiler compiler = CoroCompiler::kClang;
  uint64_t ramp_addr = 0;
  uint64_t resume = 0, resume_size = 0;
  uint64_t destroy = 0, cleanup = 0;
};

// Every coroutine with at least one clone in the module, sorted by ramp
// name. Fails when the module has no readable symbol table.
Result<std::vector<CoroSymbols>> find_coroutine_symbols(Dwfl_Module* module);

}  // namespace corostack::coro
