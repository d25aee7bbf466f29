#pragma once
// Turns a pc into one or more source-level frames (several when functions
// were inlined there), with names demangled. Results are cached per pc for
// the life of the symbolizer, which shares the DwflSession's lazily loaded
// symbol tables and DWARF.
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "native/dwfl_session.hpp"
#include "native/scope_index.hpp"
#include "native/unit_lookup.hpp"

namespace corostack {

struct SymbolFrame {
  std::optional<std::string> function;  // demangled; none when no symbol covers pc
  std::optional<uint64_t> offset;       // pc - symbol start
  std::string module;                   // path; empty when pc is in no module
  std::string file;                     // empty without line info
  int line = 0;
  bool inlined = false;  // this frame was inlined into the next one
};

class Symbolizer {
 public:
  // With use_dwarf false only ELF symbol tables are read: no file:line, no
  // inlined frames, but no DWARF loading either (often most of the cost).
  explicit Symbolizer(DwflSession& session, bool use_dwarf = true)
      : session_(session), use_dwarf_(use_dwarf) {}
  // Innermost first. `is_activation` is false for return addresses, which
  // point after the call: look them up at pc-1 so they land in the caller's call.
  const std::vector<SymbolFrame>& symbolize(uint64_t pc, bool is_activation);

  // The indexes behind it, for readers of the same DWARF (frame variables,
  // tail calls): each unit's ranges and functions are indexed once.
  UnitLookup& units() { return units_; }
  ScopeIndex& scopes() { return scope_index_; }

 private:
  std::vector<SymbolFrame> lookup(uint64_t pc, bool is_activation);

  DwflSession& session_;
  bool use_dwarf_;
  ScopeIndex scope_index_;
  UnitLookup units_;
  std::unordered_map<uint64_t, std::vector<SymbolFrame>> cache_;  // key: pc, low bit = activation
};

}  // namespace corostack
