#pragma once
// Frames a tail call left off the stack. When `f` ends in `jmp g`, g returns
// straight into f's caller, and an unwinder sees the caller call g. gdb
// rebuilds f from DWARF call-site information: the caller's call site names
// the function it called (f); f's tail-call sites name g. Where exactly one
// chain of tail calls leads from the called function to the frame found, its
// functions are frames too, marked as tail calls. Nothing is guessed: an
// indirect call, a missing call site or two possible chains add nothing.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "native/dwfl_session.hpp"
#include "native/scope_index.hpp"
#include "native/unit_lookup.hpp"
#include "native/unwinder.hpp"

namespace corostack::variables {

struct TailCallFrame {
  uint64_t pc = 0;       // runtime address of the tail call
  std::string function;  // demangled
  std::string module;
  std::string file;
  int line = 0;
};

class TailCalls {
 public:
  // `units` and `scopes` are shared with the Symbolizer of the same session.
  TailCalls(DwflSession& session, UnitLookup& units, ScopeIndex& scopes)
      : session_(session), units_(units), scopes_(scopes) {}

  // The tail-call frames between `callee` and its caller `caller` (the next
  // frame out), innermost first; empty when there are none or it is unclear.
  std::vector<TailCallFrame> between(const RawFrame& callee, const RawFrame& caller);

 private:
  // Whether `key` (a linkage name or C name) is one of the symbols at `start` in `module`.
  bool names_function(const std::string& key, Dwfl_Module* module, uint64_t start);

  DwflSession& session_;
  UnitLookup& units_;
  ScopeIndex& scopes_;
  std::unordered_map<Dwfl_Module*, std::unordered_multimap<uint64_t, std::string>> symbols_;
};

}  // namespace corostack::variables
