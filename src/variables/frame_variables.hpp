#pragma once
// The arguments and locals of native frames, as gdb's `bt full` shows them:
// for each physical frame the unwinder reached, the DWARF scopes at its pc
// (inlined calls first, then the function, as the Symbolizer orders them),
// their variables evaluated with the registers recovered for that frame,
// printed by ValuePrinter. Parameters also get their value at entry from the
// caller's call site (DW_TAG_call_site_parameter), shown as gdb's `@entry`.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "native/dwfl_session.hpp"
#include "native/frame_registers.hpp"
#include "native/scope_index.hpp"
#include "native/unit_lookup.hpp"
#include "target/memory_reader.hpp"
#include "variables/value_printer.hpp"

namespace corostack::variables {

using corostack::FrameRegisters;

struct Variable {
  std::string name;
  std::string value;  // printed; `<optimized out>` and `<error: …>` as gdb says them
  bool argument = false;
  std::optional<std::string> entry_value;  // parameters: the value at entry, when known
};

// One source-level frame's variables: scope 0 is the innermost inlined call.
using ScopeVariables = std::vector<Variable>;

struct VariableLimits {
  size_t max_variables = 256;  // per scope
  size_t max_dies = 100000;    // DIEs visited per frame
  PrintLimits print;
};

class FrameVariables {
 public:
  // `units` and `scopes` are shared with the Symbolizer of the same session.
  FrameVariables(DwflSession& session, const MemoryReader& memory, UnitLookup& units,
                 ScopeIndex& scopes, VariableLimits limits = {});

  // Variables for physical frame `index` of `frames` (innermost first). One
  // entry per source-level frame at that pc; empty without DWARF.
  std::vector<ScopeVariables> variables(const std::vector<FrameRegisters>& frames, size_t index);

 private:
  friend class LiveFrame;
  DwflSession& session_;
  const MemoryReader& memory_;
  VariableLimits limits_;
  UnitLookup& units_;
  ScopeIndex& scopes_;
  ValuePrinter printer_;
};

}  // namespace corostack::variables
