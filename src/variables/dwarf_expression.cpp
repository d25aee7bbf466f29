#include "variables/dwarf_expression.hpp"

#include <dwarf.h>

#include <algorithm>

namespace corostack::variables {
namespace {

// Where the value the machine produced lives, before DW_OP_piece or the end
// turns it into a Piece. Memory is the default: the address on the stack.
enum class Pending { kNone, kRegister, kValue, kImplicit, kImplicitPointer };

struct Machine {
  Machine(std::span<const Dwarf_Op> o, const FrameContext& f, const EvalLimits& l)
      : ops(o), frame(f), limits(l) {}

  std::span<const Dwarf_Op> ops;
  const FrameContext& frame;
  const EvalLimits& limits;

  std::vector<uint64_t> stack;
  // Parallel to `stack`: the entry has an unsigned base type (DW_OP_convert
  // and friends). The generic type's division and comparisons are signed;
  // GCC converts both operands to an unsigned type for unsigned ones.
  std::vector<uint8_t> unsigned_typed;
  bool popped_unsigned = false;
  Pending pending = Pending::kNone;
  unsigned regno = 0;
  std::vector<uint8_t> implicit;
  Location out;

  bool fail(std::string why) {
    out.error = std::move(why);
    out.pieces.clear();
    return false;
  }

  bool unavailable(std::string why) {
    fail(std::move(why));
    out.unavailable = true;
    return false;
  }

  bool push(uint64_t v, bool typed_unsigned = false) {
    if (stack.size() >= limits.max_stack) return fail("DWARF expression stack overflow");
    stack.push_back(v);
    unsigned_typed.push_back(typed_unsigned);
    return true;
  }

  std::optional<uint64_t> pop() {
    if (stack.empty()) {
      fail("DWARF expression stack underflow");
      return std::nullopt;
    }
    uint64_t v = stack.back();
    stack.pop_back();
    popped_unsigned = unsigned_typed.back();
    unsigned_typed.pop_back();
    return v;
  }

  bool read_memory(uint64_t addr, uint64_t size, uint64_t* value) {
    // Wider than the stack: clang spills an XMM register and derefs 16 bytes
    // of it; the scalar it holds is the low part.
    if (size > 8 && size <= 16) size = 8;
    if (size == 0 || size > 8) return fail("DW_OP_deref_size of " + std::to_string(size));
    uint64_t v = 0;
    auto r = frame.memory().read(
        RemoteAddr(addr),
        std::as_writable_bytes(std::span(&v, 1)).first(static_cast<size_t>(size)));
    if (!r.complete(static_cast<size_t>(size)))
      return fail("cannot read target memory at " + std::to_string(addr));
    *value = v;
    return true;
  }

  bool register_value(unsigned r, uint64_t* value) {
    auto v = frame.reg(r);
    if (!v) return unavailable("register " + std::to_string(r) + " not recovered in this frame");
    *value = *v;
    return true;
  }

  // The sub-expression of DW_OP_entry_value (length `len` at `block`): this
  // reader understands the forms compilers emit, DW_OP_regN and DW_OP_regx.
  bool entry_value(const Dwarf_Op& op) {
    const auto* block = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(op.number2));
    uint64_t len = op.number;
    std::optional<unsigned> reg;
    if (block && len == 1 && block[0] >= DW_OP_reg0 && block[0] <= DW_OP_reg31) {
      reg = block[0] - DW_OP_reg0;
    } else if (block && len >= 2 && len <= 6 && block[0] == DW_OP_regx) {
      uint64_t v = 0;
      unsigned shift = 0;
      size_t i = 1;
      for (; i < len && shift < 35; ++i, shift += 7) {
        v |= static_cast<uint64_t>(block[i] & 0x7f) << shift;
        if (!(block[i] & 0x80)) break;
      }
      if (i + 1 == len && v < 128) reg = static_cast<unsigned>(v);
    }
    if (!reg) return unavailable("unsupported DW_OP_entry_value expression");
    Dwarf_Op inner{};
    inner.atom = static_cast<uint8_t>(DW_OP_regx);
    inner.number = *reg;
    auto v = frame.entry_value(std::span(&inner, 1));
    if (!v) return unavailable("value at entry unknown (no call-site information)");
    out.from_entry_value = true;
    return push(*v);
  }

  bool make_piece(uint64_t size, uint64_t bit_size, uint64_t bit_offset) {
    if (out.pieces.size() >= limits.max_pieces) return fail("too many DW_OP_piece");
    Piece p;
    p.size = size;
    p.bit_size = bit_size;
    p.bit_offset = bit_offset;
    switch (pending) {
      case Pending::kRegister:
        p.kind = PieceKind::kRegister;
        p.regno = regno;
        break;
      case Pending::kValue: {
        p.kind = PieceKind::kValue;
        auto v = pop();
        if (!v) return false;
        p.value = *v;
        break;
      }
      case Pending::kImplicit:
        p.kind = PieceKind::kImplicit;
        p.bytes = std::move(implicit);
        break;
      case Pending::kImplicitPointer:
        p.kind = PieceKind::kImplicitPointer;
        break;
      case Pending::kNone:
        if (stack.empty()) {
          p.kind = PieceKind::kOptimizedOut;  // an empty piece
        } else {
          p.kind = PieceKind::kMemory;
          p.address = stack.back();
          stack.pop_back();
          unsigned_typed.pop_back();
        }
        break;
    }
    pending = Pending::kNone;
    implicit.clear();
    stack.clear();
    unsigned_typed.clear();
    out.pieces.push_back(std::move(p));
    return true;
  }

  // Index of the operation at byte offset `target`, or ops.size() for the end.
  std::optional<size_t> branch_target(const Dwarf_Op& op) {
    int64_t rel = static_cast<int16_t>(static_cast<uint16_t>(op.number));
    int64_t target = static_cast<int64_t>(op.offset) + 3 + rel;
    if (target < 0) return std::nullopt;
    auto it = std::lower_bound(ops.begin(), ops.end(), static_cast<uint64_t>(target),
                               [](const Dwarf_Op& o, uint64_t t) { return o.offset < t; });
    if (it != ops.end() && it->offset == static_cast<uint64_t>(target))
      return static_cast<size_t>(it - ops.begin());
    // Just past the last operation: the end of the expression.
    if (it == ops.end() && !ops.empty() && static_cast<uint64_t>(target) > ops.back().offset)
      return ops.size();
    return std::nullopt;
  }

  bool binary(uint8_t atom) {
    auto b = pop();
    if (!b) return false;
    bool b_unsigned = popped_unsigned;
    auto a = pop();
    if (!a) return false;
    bool is_unsigned = b_unsigned && popped_unsigned;
    uint64_t x = *a, y = *b;
    auto sx = static_cast<int64_t>(x), sy = static_cast<int64_t>(y);
    uint64_t r = 0;
    switch (atom) {
      case DW_OP_and:
        r = x & y;
        break;
      case DW_OP_or:
        r = x | y;
        break;
      case DW_OP_xor:
        r = x ^ y;
        break;
      case DW_OP_plus:
        r = x + y;
        break;
      case DW_OP_minus:
        r = x - y;
        break;
      case DW_OP_mul:
        r = x * y;
        break;
      case DW_OP_div:
        if (y == 0) return fail("DW_OP_div by zero");
        if (is_unsigned) {
          r = x / y;
          break;
        }
        if (sx == INT64_MIN && sy == -1) return fail("DW_OP_div overflow");
        r = static_cast<uint64_t>(sx / sy);
        break;
      case DW_OP_mod:
        if (y == 0) return fail("DW_OP_mod by zero");
        r = x % y;
        break;
      case DW_OP_shl:
        r = y >= 64 ? 0 : x << y;
        break;
      case DW_OP_shr:
        r = y >= 64 ? 0 : x >> y;
        break;
      case DW_OP_shra:
        r = static_cast<uint64_t>(y >= 64 ? (sx < 0 ? -1 : 0) : sx >> y);
        break;
      case DW_OP_eq:
        r = x == y;
        break;
      case DW_OP_ne:
        r = x != y;
        break;
      case DW_OP_lt:
        r = is_unsigned ? x < y : sx < sy;
        break;
      case DW_OP_gt:
        r = is_unsigned ? x > y : sx > sy;
        break;
      case DW_OP_le:
        r = is_unsigned ? x <= y : sx <= sy;
        break;
      case DW_OP_ge:
        r = is_unsigned ? x >= y : sx >= sy;
        break;
      default:
        return fail("unknown binary operation");
    }
    return push(r, is_unsigned);
  }

  bool run() {
    size_t steps = 0;
    for (size_t i = 0; i < ops.size();) {
      if (++steps > limits.max_steps) return fail("DWARF expression runs too long");
      const Dwarf_Op& op = ops[i];
      uint8_t a = op.atom;
      // Only a piece may follow a register, implicit or stack-value location.
      if (pending != Pending::kNone && a != DW_OP_piece && a != DW_OP_bit_piece)
        return fail("operation after a location that must end the expression");
      ++i;
      if (a >= DW_OP_lit0 && a <= DW_OP_lit31) {
        if (!push(static_cast<uint64_t>(a - DW_OP_lit0))) return false;
        continue;
      }
      if (a >= DW_OP_reg0 && a <= DW_OP_reg31) {
        pending = Pending::kRegister;
        regno = a - DW_OP_reg0;
        continue;
      }
      if (a >= DW_OP_breg0 && a <= DW_OP_breg31) {
        uint64_t v;
        if (!register_value(a - DW_OP_breg0, &v) || !push(v + op.number)) return false;
        continue;
      }
      switch (a) {
        case DW_OP_addr:
          if (!push(op.number + frame.bias())) return false;
          break;
        case DW_OP_const1u:
        case DW_OP_const1s:
        case DW_OP_const2u:
        case DW_OP_const2s:
        case DW_OP_const4u:
        case DW_OP_const4s:
        case DW_OP_const8u:
        case DW_OP_const8s:
        case DW_OP_constu:
        case DW_OP_consts:
          if (!push(op.number)) return false;
          break;
        case DW_OP_regx:
          if (op.number > 127) return fail("register number out of range");
          pending = Pending::kRegister;
          regno = static_cast<unsigned>(op.number);
          break;
        case DW_OP_bregx: {
          if (op.number > 127) return fail("register number out of range");
          uint64_t v;
          if (!register_value(static_cast<unsigned>(op.number), &v) || !push(v + op.number2))
            return false;
          break;
        }
        case DW_OP_fbreg: {
          auto fb = frame.frame_base();
          if (!fb) return fail("frame base unknown");
          if (!push(*fb + op.number)) return false;
          break;
        }
        case DW_OP_call_frame_cfa: {
          auto cfa = frame.cfa();
          if (!cfa) return fail("canonical frame address unknown");
          if (!push(*cfa)) return false;
          break;
        }
        case DW_OP_dup:
          if (stack.empty()) return fail("DWARF expression stack underflow");
          if (!push(stack.back(), unsigned_typed.back())) return false;
          break;
        case DW_OP_drop:
          if (!pop()) return false;
          break;
        case DW_OP_over:
          if (stack.size() < 2) return fail("DWARF expression stack underflow");
          if (!push(stack[stack.size() - 2], unsigned_typed[stack.size() - 2])) return false;
          break;
        case DW_OP_pick:
          if (op.number >= stack.size()) return fail("DW_OP_pick beyond the stack");
          if (!push(stack[stack.size() - 1 - op.number],
                    unsigned_typed[stack.size() - 1 - op.number]))
            return false;
          break;
        case DW_OP_swap:
          if (stack.size() < 2) return fail("DWARF expression stack underflow");
          std::swap(stack[stack.size() - 1], stack[stack.size() - 2]);
          std::swap(unsigned_typed[stack.size() - 1], unsigned_typed[stack.size() - 2]);
          break;
        case DW_OP_rot:
          if (stack.size() < 3) return fail("DWARF expression stack underflow");
          std::rotate(stack.end() - 3, stack.end() - 1, stack.end());
          std::rotate(unsigned_typed.end() - 3, unsigned_typed.end() - 1, unsigned_typed.end());
          break;
        case DW_OP_deref:
        case DW_OP_deref_size: {
          auto addr = pop();
          if (!addr) return false;
          uint64_t v;
          if (!read_memory(*addr, a == DW_OP_deref ? 8 : op.number, &v) || !push(v)) return false;
          break;
        }
        case DW_OP_abs: {
          auto v = pop();
          if (!v) return false;
          auto s = static_cast<int64_t>(*v);
          if (!push(s < 0 ? 0 - *v : *v)) return false;
          break;
        }
        case DW_OP_neg: {
          auto v = pop();
          if (!v || !push(0 - *v)) return false;
          break;
        }
        case DW_OP_not: {
          auto v = pop();
          if (!v || !push(~*v)) return false;
          break;
        }
        case DW_OP_plus_uconst: {
          auto v = pop();
          if (!v || !push(*v + op.number)) return false;
          break;
        }
        case DW_OP_and:
        case DW_OP_or:
        case DW_OP_xor:
        case DW_OP_plus:
        case DW_OP_minus:
        case DW_OP_mul:
        case DW_OP_div:
        case DW_OP_mod:
        case DW_OP_shl:
        case DW_OP_shr:
        case DW_OP_shra:
        case DW_OP_eq:
        case DW_OP_ne:
        case DW_OP_lt:
        case DW_OP_gt:
        case DW_OP_le:
        case DW_OP_ge:
          if (!binary(a)) return false;
          break;
        case DW_OP_skip:
        case DW_OP_bra: {
          if (a == DW_OP_bra) {
            auto v = pop();
            if (!v) return false;
            if (*v == 0) break;
          }
          auto t = branch_target(op);
          if (!t) return fail("branch into the middle of an operation");
          i = *t;
          break;
        }
        case DW_OP_nop:
          break;
        case DW_OP_convert:
        case DW_OP_GNU_convert:
        case DW_OP_reinterpret:
        case DW_OP_GNU_reinterpret: {
          auto v = pop();
          if (!v) return false;
          uint64_t x = *v;
          bool is_unsigned = false;
          if (op.number != 0) {  // 0: the generic type
            auto t = frame.base_type(op.number);
            if (!t) return fail("DW_OP_convert to an unknown type");
            x = typed(x, *t);
            is_unsigned = !t->is_signed;
          }
          if (!push(x, is_unsigned)) return false;
          break;
        }
        case DW_OP_regval_type:
        case DW_OP_GNU_regval_type: {
          if (op.number > 127) return fail("register number out of range");
          uint64_t v;
          if (!register_value(static_cast<unsigned>(op.number), &v)) return false;
          auto t = frame.base_type(op.number2);
          if (!t) return fail("DW_OP_regval_type of an unknown type");
          if (!push(typed(v, *t), !t->is_signed)) return false;
          break;
        }
        case DW_OP_deref_type:
        case DW_OP_GNU_deref_type: {
          auto addr = pop();
          if (!addr) return false;
          uint64_t v;
          if (!read_memory(*addr, op.number, &v)) return false;
          auto t = frame.base_type(op.number2);
          if (!t) return fail("DW_OP_deref_type of an unknown type");
          if (!push(typed(v, *t), !t->is_signed)) return false;
          break;
        }
        case DW_OP_stack_value:
          if (stack.empty()) return fail("DW_OP_stack_value on an empty stack");
          pending = Pending::kValue;
          break;
        case DW_OP_implicit_value: {
          if (op.number > limits.max_implicit) return fail("DW_OP_implicit_value too large");
          const auto* data = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(op.number2));
          if (!data && op.number) return fail("DW_OP_implicit_value without data");
          implicit.assign(data, data + op.number);
          pending = Pending::kImplicit;
          break;
        }
        case DW_OP_implicit_pointer:
        case DW_OP_GNU_implicit_pointer:
          pending = Pending::kImplicitPointer;
          break;
        case DW_OP_entry_value:
        case DW_OP_GNU_entry_value:
          if (!entry_value(op)) return false;
          break;
        case DW_OP_piece:
          if (op.number == 0 || op.number > (1u << 20)) return fail("DW_OP_piece of bad size");
          if (!make_piece(op.number, 0, 0)) return false;
          break;
        case DW_OP_bit_piece:
          if (op.number == 0 || op.number > 64 || op.number2 > 64)
            return fail("DW_OP_bit_piece of bad size");
          if (!make_piece((op.number + 7) / 8, op.number, op.number2)) return false;
          break;
        case DW_OP_form_tls_address:
        case DW_OP_GNU_push_tls_address:
          return fail("thread-local storage is not read");
        default:
          return fail("unsupported DWARF operation 0x" + hex(a));
      }
    }
    return true;
  }

  // A value as the base type `t` holds it: truncated, then sign-extended.
  static uint64_t typed(uint64_t x, const FrameContext::BaseType& t) {
    if (t.size == 0 || t.size >= 8) return x;
    unsigned bits = static_cast<unsigned>(t.size * 8);
    x &= (1ULL << bits) - 1;
    if (t.is_signed && (x >> (bits - 1)) & 1) x |= ~0ULL << bits;
    return x;
  }

  static std::string hex(uint8_t a) {
    const char* digits = "0123456789abcdef";
    return {digits[a >> 4], digits[a & 15]};
  }
};

}  // namespace

Location evaluate_location(std::span<const Dwarf_Op> ops, const FrameContext& frame,
                           const EvalLimits& limits) {
  Machine m{ops, frame, limits};
  if (ops.empty()) {
    m.out.pieces.push_back(Piece{});  // optimized out: nothing describes it here
    return std::move(m.out);
  }
  if (!m.run()) return std::move(m.out);
  if (m.out.pieces.empty()) {
    // No DW_OP_piece: the whole object is where the expression left it.
    if (m.pending == Pending::kNone && m.stack.empty())
      m.fail("DWARF expression left nothing on the stack");
    else
      m.make_piece(0, 0, 0);
  }
  return std::move(m.out);
}

std::optional<uint64_t> evaluate_value(std::span<const Dwarf_Op> ops, const FrameContext& frame,
                                       const EvalLimits& limits) {
  Machine m{ops, frame, limits};
  if (ops.empty() || !m.run()) return std::nullopt;
  switch (m.pending) {
    case Pending::kRegister:
      return frame.reg(m.regno);
    case Pending::kNone:
    case Pending::kValue:
      if (m.stack.empty()) return std::nullopt;
      return m.stack.back();
    default:
      return std::nullopt;
  }
}

}  // namespace corostack::variables
