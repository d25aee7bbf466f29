#include "variables/frame_variables.hpp"

#include <dwarf.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "coro/dwarf_types.hpp"
#include "native/demangle.hpp"
#include "variables/call_sites.hpp"
#include "variables/dwarf_expression.hpp"

namespace corostack::variables {

// One physical frame as the evaluator sees it: its registers, its CFA (from
// CFI), its function's frame base, and entry values through the caller.
class LiveFrame final : public FrameContext {
 public:
  LiveFrame(FrameVariables& fv, const std::vector<FrameRegisters>& frames, size_t index,
            int nesting)
      : fv_(fv), frames_(frames), index_(index), nesting_(nesting) {
    const FrameRegisters& f = frames_[index_];
    adj_ = f.is_activation || f.pc == 0 ? f.pc : f.pc - 1;
    module_ = dwfl_addrmodule(fv_.session_.dwfl(), adj_);
    if (module_) cu_ = fv_.units_.unit_at(module_, adj_, &bias_);
    if (cu_) scopes_ = fv_.scopes_.scopes(cu_, adj_ - bias_);
  }

  std::optional<uint64_t> reg(unsigned n) const override { return frames_[index_].reg(n); }
  uint64_t bias() const override { return bias_; }
  const MemoryReader& memory() const override { return fv_.memory_; }

  std::optional<uint64_t> cfa() const override {
    if (!cfa_done_) {
      cfa_done_ = true;
      cfa_ = cfa_from_cfi();
      // x86-64 CFI makes the caller's stack pointer the CFA.
      if (!cfa_ && index_ + 1 < frames_.size()) cfa_ = frames_[index_ + 1].reg(7);
    }
    return cfa_;
  }

  std::optional<uint64_t> frame_base() const override {
    if (!base_done_) {
      base_done_ = true;
      if (!scopes_.empty()) {
        Dwarf_Die fn = scopes_.back();
        Dwarf_Attribute a;
        Dwarf_Op* ops;
        size_t nops;
        if (dwarf_attr_integrate(&fn, DW_AT_frame_base, &a) &&
            dwarf_getlocation_addr(&a, adj_ - bias_, &ops, &nops, 1) == 1)
          base_ = evaluate_value(std::span<const Dwarf_Op>(ops, nops), *this);
      }
    }
    return base_;
  }

  std::optional<uint64_t> entry_value(std::span<const Dwarf_Op> inner) const override {
    if (inner.size() != 1 || nesting_ >= 4 || index_ + 1 >= frames_.size() || scopes_.empty())
      return std::nullopt;
    unsigned regno = static_cast<unsigned>(inner[0].number);
    LiveFrame caller(fv_, frames_, index_ + 1, nesting_ + 1);
    if (caller.scopes_.empty()) return std::nullopt;
    const FrameRegisters& cf = frames_[index_ + 1];
    if (cf.is_activation) return std::nullopt;  // a signal frame: no call site
    auto site = call_site_at(caller.scopes_.back(), cf.pc - caller.bias_, fv_.limits_.max_dies);
    if (!site) return std::nullopt;
    // The call must be to this function: a tail call in between would make
    // the site's arguments someone else's.
    auto callee = call_site_callee(*site);
    if (!callee) return std::nullopt;
    auto callee_key = function_key(*callee);
    auto own_key = function_key(scopes_.back());
    if (!callee_key || !own_key || *callee_key != *own_key) return std::nullopt;
    auto value = call_site_value(*site, regno);
    if (!value) return std::nullopt;
    Dwarf_Op* ops;
    size_t nops;
    if (dwarf_getlocation(&*value, &ops, &nops) != 0) return std::nullopt;
    return evaluate_value(std::span<const Dwarf_Op>(ops, nops), caller);
  }

  std::optional<BaseType> base_type(uint64_t die_offset) const override {
    if (!cu_) return std::nullopt;
    // Typed-stack operands are offsets from the start of the unit's header.
    Dwarf_Off unit_start = dwarf_dieoffset(cu_) - dwarf_cuoffset(cu_);
    Dwarf_Die type;
    if (!dwarf_offdie(dwarf_cu_getdwarf(cu_->cu), unit_start + die_offset, &type) ||
        dwarf_tag(&type) != DW_TAG_base_type)
      return std::nullopt;
    Dwarf_Attribute a;
    Dwarf_Word size = 8, enc = 0;
    if (dwarf_attr(&type, DW_AT_byte_size, &a)) dwarf_formudata(&a, &size);
    if (dwarf_attr(&type, DW_AT_encoding, &a)) dwarf_formudata(&a, &enc);
    return BaseType{size, enc == DW_ATE_signed || enc == DW_ATE_signed_char};
  }

  const std::vector<Dwarf_Die>& scopes() const { return scopes_; }
  Dwarf_Addr dwarf_pc() const { return adj_ - bias_; }
  bool has_caller() const { return index_ + 1 < frames_.size(); }

 private:
  std::optional<uint64_t> cfa_from_cfi() const {
    if (!module_) return std::nullopt;
    for (int which = 0; which < 2; ++which) {
      Dwarf_Addr cfi_bias = 0;
      Dwarf_CFI* cfi = which == 0 ? dwfl_module_eh_cfi(module_, &cfi_bias)
                                  : dwfl_module_dwarf_cfi(module_, &cfi_bias);
      if (!cfi) continue;
      Dwarf_Frame* frame = nullptr;
      if (dwarf_cfi_addrframe(cfi, adj_ - cfi_bias, &frame) != 0) continue;
      Dwarf_Op* ops = nullptr;
      size_t nops = 0;
      std::optional<uint64_t> v;
      if (dwarf_frame_cfa(frame, &ops, &nops) == 0 && nops > 0)
        v = evaluate_value(std::span<const Dwarf_Op>(ops, nops), NoCfa(*this));
      free(frame);
      if (v) return v;
    }
    return std::nullopt;
  }

  // The CFA rule itself may not refer to the CFA.
  class NoCfa final : public FrameContext {
   public:
    explicit NoCfa(const LiveFrame& f) : f_(f) {}
    std::optional<uint64_t> reg(unsigned n) const override { return f_.reg(n); }
    std::optional<uint64_t> cfa() const override { return std::nullopt; }
    std::optional<uint64_t> frame_base() const override { return std::nullopt; }
    uint64_t bias() const override { return f_.bias(); }
    const MemoryReader& memory() const override { return f_.memory(); }

   private:
    const LiveFrame& f_;
  };

  FrameVariables& fv_;
  const std::vector<FrameRegisters>& frames_;
  size_t index_;
  int nesting_;
  Dwarf_Addr adj_ = 0;
  Dwarf_Addr bias_ = 0;
  Dwfl_Module* module_ = nullptr;
  Dwarf_Die* cu_ = nullptr;
  std::vector<Dwarf_Die> scopes_;
  mutable bool cfa_done_ = false, base_done_ = false;
  mutable std::optional<uint64_t> cfa_, base_;
};

namespace {

constexpr int kMaxScopeDepth = 64;

std::string_view name_of(Dwarf_Die* die) {
  Dwarf_Attribute a;
  if (!dwarf_attr_integrate(die, DW_AT_name, &a)) return {};
  const char* s = dwarf_formstring(&a);
  return s ? s : "";
}

struct Found {
  Dwarf_Die die;
  bool argument;
};

// Parameters and variables of `scope` at `pc`, descending into the lexical
// blocks that contain pc (their variables first, as gdb's `bt full` lists
// the innermost block first). Inlined calls are frames of their own.
void collect(Dwarf_Die* scope, Dwarf_Addr pc, int depth, size_t& budget, std::vector<Found>& args,
             std::vector<Found>& locals) {
  if (depth > kMaxScopeDepth) return;
  Dwarf_Die child;
  if (dwarf_child(scope, &child) != 0) return;
  std::vector<Found> own;
  do {
    if (budget == 0) return;
    --budget;
    int tag = dwarf_tag(&child);
    if (tag == DW_TAG_formal_parameter) {
      args.push_back({child, true});
    } else if (tag == DW_TAG_variable) {
      if (!coro::die_flag(&child, DW_AT_declaration)) own.push_back({child, false});
    } else if (tag == DW_TAG_lexical_block) {
      if (dwarf_haspc(&child, pc) > 0) collect(&child, pc, depth + 1, budget, args, locals);
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  locals.insert(locals.end(), own.begin(), own.end());
}

// The bytes a location describes, or what gdb prints instead of a value.
struct Bytes {
  std::vector<uint8_t> data;
  std::vector<uint8_t> known;  // per byte, 1 when described; empty: all are
  std::string unavailable;     // "<optimized out>", "<error: …>"
};

Bytes location_bytes(const Location& loc, uint64_t size, const FrameContext& frame) {
  Bytes out;
  if (!loc.ok()) {
    // A register or entry value the frame no longer has is what gdb calls
    // optimized out; anything else is the expression's fault.
    out.unavailable = loc.unavailable ? "<optimized out>" : "<error: " + loc.error + ">";
    return out;
  }
  // A piece the frame cannot provide (optimized out, a register it lost) is
  // missing bytes, not a missing value: the other pieces still print.
  std::vector<uint8_t>& known = out.known;
  for (const Piece& p : loc.pieces) {
    uint64_t want = p.size ? p.size : size;
    if (want > (1u << 16) || out.data.size() + want > (1u << 16)) {
      out.unavailable = "<error: object too large>";
      return out;
    }
    if (p.bit_size && (p.bit_size % 8 || p.bit_offset % 8)) {
      out.unavailable = "<error: bit pieces not supported>";
      return out;
    }
    size_t start = out.data.size();
    out.data.resize(start + want);
    known.resize(start + want, 1);
    uint8_t* dst = out.data.data() + start;
    auto missing = [&] { std::fill(known.begin() + start, known.end(), 0); };
    switch (p.kind) {
      case PieceKind::kOptimizedOut:
        missing();
        break;
      case PieceKind::kImplicitPointer:
        if (loc.pieces.size() == 1) {
          out.unavailable = "<synthetic pointer>";
          return out;
        }
        missing();
        break;
      case PieceKind::kMemory: {
        auto r = frame.memory().read(RemoteAddr(p.address),
                                     std::as_writable_bytes(std::span(dst, want)));
        if (!r.complete(want)) {
          out.unavailable =
              fmt::format("<error: Cannot access memory at address {:#x}>", p.address + r.bytes);
          return out;
        }
        break;
      }
      case PieceKind::kRegister: {
        auto v = frame.reg(p.regno);
        if (!v || want > 8) {
          missing();
          break;
        }
        uint64_t x = *v >> (p.bit_offset & 63);
        std::memcpy(dst, &x, want);
        break;
      }
      case PieceKind::kValue: {
        uint64_t x = p.value >> (p.bit_offset & 63);
        std::memcpy(dst, &x, std::min<uint64_t>(want, 8));
        break;
      }
      case PieceKind::kImplicit:
        std::memcpy(dst, p.bytes.data(), std::min<uint64_t>(want, p.bytes.size()));
        break;
    }
  }
  // Pieces that stop short of the type leave its last bytes undescribed.
  if (out.data.size() < size) {
    out.data.resize(size, 0);
    known.resize(size, 0);
  }
  size_t have = std::count(known.begin(), known.end(), uint8_t{1});
  if (have == 0)
    out.unavailable = "<optimized out>";
  else if (have == known.size())
    known.clear();
  return out;
}

Bytes const_value_bytes(Dwarf_Attribute* a, uint64_t size) {
  Bytes out;
  Dwarf_Block block;
  Dwarf_Sword s;
  Dwarf_Word u;
  if (dwarf_formblock(a, &block) == 0) {
    out.data.assign(block.data, block.data + std::min<size_t>(block.length, 1 << 16));
  } else if (dwarf_formsdata(a, &s) == 0 || dwarf_formudata(a, &u) == 0) {
    uint64_t v = dwarf_formsdata(a, &s) == 0 ? static_cast<uint64_t>(s) : u;
    out.data.resize(8);
    std::memcpy(out.data.data(), &v, 8);
  } else {
    out.unavailable = "<optimized out>";
    return out;
  }
  if (out.data.size() < size) out.data.resize(size, 0);
  return out;
}

// A function's entry: DW_AT_entry_pc or low_pc, else (a function split into
// hot and cold parts, GCC -O2) the start of its first range.
bool function_entry(Dwarf_Die fn, Dwarf_Addr* entry) {
  if (dwarf_entrypc(&fn, entry) == 0) return true;
  Dwarf_Addr base, low, high;
  if (dwarf_ranges(&fn, 0, &base, &low, &high) > 0) {
    *entry = low;
    return true;
  }
  return false;
}

}  // namespace

FrameVariables::FrameVariables(DwflSession& session, const MemoryReader& memory, UnitLookup& units,
                               ScopeIndex& scopes, VariableLimits limits)
    : session_(session),
      memory_(memory),
      limits_(limits),
      units_(units),
      scopes_(scopes),
      printer_(
          memory,
          [this](uint64_t addr) -> std::optional<std::string> {
            Dwfl_Module* mod = dwfl_addrmodule(session_.dwfl(), addr);
            if (!mod) return std::nullopt;
            GElf_Off off = 0;
            GElf_Sym sym;
            const char* name =
                dwfl_module_addrinfo(mod, addr, &off, &sym, nullptr, nullptr, nullptr);
            if (!name) return std::nullopt;
            std::string s = demangle(strip_symbol_version(name).c_str());
            return off ? fmt::format("{}+{}", s, off) : s;
          },
          limits.print) {}

std::vector<ScopeVariables> FrameVariables::variables(const std::vector<FrameRegisters>& frames,
                                                      size_t index) {
  std::vector<ScopeVariables> out;
  if (index >= frames.size()) return out;
  LiveFrame frame(*this, frames, index, 0);
  size_t budget = limits_.max_dies;
  const auto& scopes = frame.scopes();
  for (size_t s = 0; s < scopes.size(); ++s) {
    Dwarf_Die scope = scopes[s];
    std::vector<Found> args, locals;
    collect(&scope, frame.dwarf_pc(), 0, budget, args, locals);
    args.insert(args.end(), locals.begin(), locals.end());
    ScopeVariables vars;
    bool physical = s + 1 == scopes.size();
    for (Found& f : args) {
      if (vars.size() >= limits_.max_variables) break;
      std::string_view name = name_of(&f.die);
      if (name.empty()) continue;
      Variable v;
      v.name = name;
      v.argument = f.argument;
      auto type = coro::die_type(&f.die);
      if (!type) {
        v.value = "<unknown type>";
        vars.push_back(std::move(v));
        continue;
      }
      Dwarf_Die stripped = coro::strip_typedefs(*type);
      uint64_t size = coro::type_size(&stripped).value_or(0);
      Bytes bytes;
      Dwarf_Attribute a;
      Dwarf_Op* ops;
      size_t nops;
      if (dwarf_attr_integrate(&f.die, DW_AT_const_value, &a)) {
        bytes = const_value_bytes(&a, size);
      } else if (!dwarf_attr_integrate(&f.die, DW_AT_location, &a)) {
        bytes.unavailable = "<optimized out>";
      } else {
        int n = dwarf_getlocation_addr(&a, frame.dwarf_pc(), &ops, &nops, 1);
        if (n <= 0) {
          bytes.unavailable = "<optimized out>";
        } else if (size == 0 || size > limits_.print.max_value_bytes) {
          bytes.unavailable = "<object too large or of unknown size>";
        } else {
          Location loc = evaluate_location(std::span<const Dwarf_Op>(ops, nops), frame);
          bytes = location_bytes(loc, size, frame);
        }
      }
      v.value = bytes.unavailable.empty() ? printer_.print(*type, bytes.data, bytes.known)
                                          : bytes.unavailable;
      // gdb's `@entry`: a parameter of the physical function that arrives in
      // a register, valued from the caller's call site.
      // Scalars only: gdb compares and shows entry values of what fits a register.
      int kind = dwarf_tag(&stripped);
      bool scalar = kind == DW_TAG_base_type || kind == DW_TAG_enumeration_type ||
                    kind == DW_TAG_pointer_type;
      if (f.argument && physical && scalar && size > 0 && size <= 8 && frame.has_caller()) {
        Dwarf_Die fn = scope;
        Dwarf_Addr entry = 0;
        Dwarf_Attribute la;
        if (function_entry(fn, &entry) && dwarf_attr_integrate(&f.die, DW_AT_location, &la) &&
            dwarf_getlocation_addr(&la, entry, &ops, &nops, 1) == 1) {
          if (auto reg = single_register(ops, nops)) {
            Dwarf_Op op{};
            op.atom = DW_OP_regx;
            op.number = *reg;
            if (auto ev = frame.entry_value(std::span<const Dwarf_Op>(&op, 1))) {
              uint8_t raw[8];
              std::memcpy(raw, &*ev, 8);
              v.entry_value = printer_.print(*type, std::span<const uint8_t>(raw, size));
            }
          }
        }
      }
      vars.push_back(std::move(v));
    }
    out.push_back(std::move(vars));
  }
  return out;
}

}  // namespace corostack::variables
