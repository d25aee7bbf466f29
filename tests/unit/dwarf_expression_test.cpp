// The DWARF location-expression evaluator (variables/dwarf_expression) over
// hand-built Dwarf_Op arrays, as libdw decodes them: operands sign-extended
// where DWARF says so, `offset` the byte offset of each operation in its
// block (branches are resolved through it), implicit_value and entry_value
// blocks as (length, pointer) pairs. The frame is a fake: registers, CFA,
// frame base, bias, memory and the entry-value / base-type hooks.
#include "variables/dwarf_expression.hpp"

#include <dwarf.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <vector>

namespace corostack::variables {
namespace {

// Target memory as individual bytes: a read copies until the first missing one.
class ByteMemory final : public MemoryReader {
 public:
  ReadResult read(RemoteAddr addr, std::span<std::byte> out) const override {
    ReadResult r;
    for (size_t i = 0; i < out.size(); ++i) {
      auto it = bytes_.find(addr.value() + i);
      if (it == bytes_.end()) return r;
      out[i] = std::byte{it->second};
      ++r.bytes;
    }
    return r;
  }
  void put(uint64_t addr, const std::vector<uint8_t>& bytes) {
    for (size_t i = 0; i < bytes.size(); ++i) bytes_[addr + i] = bytes[i];
  }
  void put64(uint64_t addr, uint64_t v) {
    std::vector<uint8_t> b(8);
    std::memcpy(b.data(), &v, 8);
    put(addr, b);
  }

 private:
  std::map<uint64_t, uint8_t> bytes_;
};

class FakeFrame final : public FrameContext {
 public:
  std::optional<uint64_t> reg(unsigned regno) const override {
    auto it = regs.find(regno);
    if (it == regs.end()) return std::nullopt;
    return it->second;
  }
  std::optional<uint64_t> cfa() const override { return cfa_value; }
  std::optional<uint64_t> frame_base() const override { return base; }
  uint64_t bias() const override { return load_bias; }
  const MemoryReader& memory() const override { return mem; }
  std::optional<BaseType> base_type(uint64_t die_offset) const override {
    auto it = types.find(die_offset);
    if (it == types.end()) return std::nullopt;
    return it->second;
  }
  std::optional<uint64_t> entry_value(std::span<const Dwarf_Op> inner) const override {
    entry_requests.emplace_back(inner.begin(), inner.end());
    if (!entry_hook) return std::nullopt;
    return entry_hook(inner);
  }

  std::map<unsigned, uint64_t> regs;
  std::optional<uint64_t> cfa_value;
  std::optional<uint64_t> base;
  uint64_t load_bias = 0;
  ByteMemory mem;
  std::map<uint64_t, BaseType> types;
  std::function<std::optional<uint64_t>(std::span<const Dwarf_Op>)> entry_hook;
  mutable std::vector<std::vector<Dwarf_Op>> entry_requests;
};

uint64_t s(int64_t v) {
  return static_cast<uint64_t>(v);
}

size_t uleb_size(uint64_t v) {
  size_t n = 1;
  while (v >>= 7) ++n;
  return n;
}

size_t sleb_size(uint64_t u) {
  auto v = static_cast<int64_t>(u);
  size_t n = 1;
  while (!((v >= -64 && v < 64))) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Bytes an operation takes in a DWARF 5 block (DWARF32, 8-byte addresses).
size_t encoded_size(uint8_t atom, uint64_t n, uint64_t n2) {
  if (atom >= DW_OP_breg0 && atom <= DW_OP_breg31) return 1 + sleb_size(n);
  switch (atom) {
    case DW_OP_addr:
    case DW_OP_const8u:
    case DW_OP_const8s:
      return 9;
    case DW_OP_const1u:
    case DW_OP_const1s:
    case DW_OP_deref_size:
    case DW_OP_pick:
      return 2;
    case DW_OP_const2u:
    case DW_OP_const2s:
    case DW_OP_skip:
    case DW_OP_bra:
    case DW_OP_call2:
      return 3;
    case DW_OP_const4u:
    case DW_OP_const4s:
    case DW_OP_call4:
      return 5;
    case DW_OP_constu:
    case DW_OP_plus_uconst:
    case DW_OP_regx:
    case DW_OP_piece:
    case DW_OP_convert:
    case DW_OP_GNU_convert:
    case DW_OP_reinterpret:
      return 1 + uleb_size(n);
    case DW_OP_consts:
    case DW_OP_fbreg:
      return 1 + sleb_size(n);
    case DW_OP_bregx:
      return 1 + uleb_size(n) + sleb_size(n2);
    case DW_OP_bit_piece:
    case DW_OP_regval_type:
      return 1 + uleb_size(n) + uleb_size(n2);
    case DW_OP_deref_type:
      return 2 + uleb_size(n2);
    case DW_OP_implicit_value:
    case DW_OP_entry_value:
    case DW_OP_GNU_entry_value:
      return 1 + uleb_size(n) + n;
    case DW_OP_implicit_pointer:
    case DW_OP_GNU_implicit_pointer:
      return 5 + sleb_size(n2);
    default:
      return 1;
  }
}

// An expression as libdw hands it over, offsets included. Branches name the
// index of the operation they go to (or `kEnd`); done() turns that into the
// 16-bit displacement DWARF encodes.
class Expr {
 public:
  static constexpr size_t kEnd = SIZE_MAX;

  Expr& op(uint8_t atom, uint64_t n = 0, uint64_t n2 = 0) {
    ops_.push_back(Dwarf_Op{atom, n, n2, next_});
    next_ += encoded_size(atom, n, n2);
    return *this;
  }
  Expr& branch(uint8_t atom, size_t target_index) {
    fixups_.emplace_back(ops_.size(), target_index);
    return op(atom);
  }
  // A block operand (implicit_value, entry_value): number = length, number2 = pointer.
  Expr& block(uint8_t atom, const std::vector<uint8_t>& bytes) {
    return op(atom, bytes.size(), reinterpret_cast<uintptr_t>(bytes.data()));
  }
  std::span<const Dwarf_Op> done() {
    for (auto [at, target] : fixups_) {
      uint64_t to = target == kEnd ? next_ : ops_[target].offset;
      auto rel = static_cast<int64_t>(to) - static_cast<int64_t>(ops_[at].offset + 3);
      ops_[at].number = s(static_cast<int16_t>(rel));  // sign-extended, as libdw stores it
    }
    return ops_;
  }
  size_t size() const { return ops_.size(); }

 private:
  std::vector<Dwarf_Op> ops_;
  std::vector<std::pair<size_t, size_t>> fixups_;
  uint64_t next_ = 0;
};

constexpr uint64_t kMem = 0x10000;

class DwarfExpression : public ::testing::Test {
 protected:
  void SetUp() override {
    frame.regs = {{0, 0x1111}, {5, 0x5555}, {6, 0x7ffe0000}, {7, 0x7ffd0000}, {17, 0x1717}};
    frame.base = 0x7ffe1000;
    frame.cfa_value = 0x7ffe2000;
    frame.load_bias = 0x55550000;
  }

  Location loc(Expr& e, const EvalLimits& limits = {}) {
    return evaluate_location(e.done(), frame, limits);
  }
  std::optional<uint64_t> value(Expr& e, const EvalLimits& limits = {}) {
    return evaluate_value(e.done(), frame, limits);
  }
  // The single whole-object piece of a successful evaluation.
  Piece only_piece(Expr& e) {
    Location l = loc(e);
    EXPECT_TRUE(l.ok()) << l.error;
    EXPECT_EQ(l.pieces.size(), 1u);
    if (l.pieces.size() != 1) return {};
    EXPECT_EQ(l.pieces[0].size, 0u);
    return l.pieces[0];
  }
  // Evaluates `e` + DW_OP_stack_value as a location: the computed value.
  std::optional<uint64_t> computed(Expr& e) {
    e.op(DW_OP_stack_value);
    Location l = loc(e);
    if (!l.ok() || l.pieces.size() != 1 || l.pieces[0].kind != PieceKind::kValue)
      return std::nullopt;
    return l.pieces[0].value;
  }
  // An evaluation that must fail, with `why` in its reason.
  void expect_failure(Expr& e, const std::string& why, const EvalLimits& limits = {}) {
    Location l = loc(e, limits);
    EXPECT_FALSE(l.ok());
    EXPECT_TRUE(l.pieces.empty());
    EXPECT_NE(l.error.find(why), std::string::npos) << "error: " << l.error;
    EXPECT_FALSE(value(e, limits).has_value());
  }

  FakeFrame frame;
};

TEST_F(DwarfExpression, EmptyExpressionIsOptimizedOut) {
  Expr e;
  Location l = loc(e);
  ASSERT_EQ(l.pieces.size(), 1u);
  EXPECT_TRUE(l.error.empty());
  EXPECT_EQ(l.pieces[0].kind, PieceKind::kOptimizedOut);
  EXPECT_FALSE(value(e).has_value());
}

TEST_F(DwarfExpression, FbregIsFrameBasePlusSignedOffset) {
  Expr e;
  e.op(DW_OP_fbreg, s(-24));
  Piece p = only_piece(e);
  EXPECT_EQ(p.kind, PieceKind::kMemory);
  EXPECT_EQ(p.address, 0x7ffe1000u - 24);
  Expr v;
  v.op(DW_OP_fbreg, 16);
  EXPECT_EQ(value(v), 0x7ffe1010u);
}

TEST_F(DwarfExpression, FbregWithoutFrameBaseFails) {
  frame.base.reset();
  Expr e;
  e.op(DW_OP_fbreg, 8);
  expect_failure(e, "frame base");
}

TEST_F(DwarfExpression, BregAddsSignedOffsetToRegister) {
  Expr e;
  e.op(DW_OP_breg6, s(-8));
  Piece p = only_piece(e);
  EXPECT_EQ(p.kind, PieceKind::kMemory);
  EXPECT_EQ(p.address, 0x7ffe0000u - 8);
  Expr v;
  v.op(DW_OP_breg7, 16);
  EXPECT_EQ(value(v), 0x7ffd0010u);
  frame.regs[31] = 0x3100;
  Expr last;
  last.op(DW_OP_breg31, 1);
  EXPECT_EQ(value(last), 0x3101u);
}

TEST_F(DwarfExpression, BregxUsesRegisterAndSignedOffset) {
  Expr e;
  e.op(DW_OP_bregx, 17, s(-0x17));
  EXPECT_EQ(only_piece(e).address, 0x1700u);
  frame.regs[127] = 0x100;
  Expr high;
  high.op(DW_OP_bregx, 127, 1);
  EXPECT_EQ(value(high), 0x101u);
}

TEST_F(DwarfExpression, BregOfUnrecoveredRegisterFails) {
  Expr e;
  e.op(DW_OP_breg3, 0);
  expect_failure(e, "register 3 not recovered");
  Expr x;
  x.op(DW_OP_bregx, 40, 0);
  expect_failure(x, "register 40 not recovered");
}

TEST_F(DwarfExpression, RegIsARegisterLocation) {
  Expr e;
  e.op(DW_OP_reg5);
  Piece p = only_piece(e);
  EXPECT_EQ(p.kind, PieceKind::kRegister);
  EXPECT_EQ(p.regno, 5u);
  Expr r31;
  r31.op(DW_OP_reg31);
  EXPECT_EQ(only_piece(r31).regno, 31u);
  Expr x;
  x.op(DW_OP_regx, 17);
  p = only_piece(x);
  EXPECT_EQ(p.kind, PieceKind::kRegister);
  EXPECT_EQ(p.regno, 17u);
  Expr x127;
  x127.op(DW_OP_regx, 127);
  EXPECT_EQ(only_piece(x127).regno, 127u);
}

TEST_F(DwarfExpression, RegisterLocationAsValueIsTheRegister) {
  Expr e;
  e.op(DW_OP_reg6);
  EXPECT_EQ(value(e), 0x7ffe0000u);
  Expr x;
  x.op(DW_OP_regx, 17);
  EXPECT_EQ(value(x), 0x1717u);
  Expr missing;
  missing.op(DW_OP_reg2);
  EXPECT_FALSE(value(missing).has_value());
  // A location needs no value: an unrecovered register is still its place.
  EXPECT_EQ(only_piece(missing).regno, 2u);
}

TEST_F(DwarfExpression, AddrAddsTheLoadBias) {
  Expr e;
  e.op(DW_OP_addr, 0x4010);
  Piece p = only_piece(e);
  EXPECT_EQ(p.kind, PieceKind::kMemory);
  EXPECT_EQ(p.address, 0x55554010u);
  frame.load_bias = 0;
  Expr v;
  v.op(DW_OP_addr, 0x4010);
  EXPECT_EQ(value(v), 0x4010u);
}

TEST_F(DwarfExpression, LiteralsAndConstants) {
  struct Case {
    uint8_t atom;
    uint64_t number;
    uint64_t expect;
  };
  const Case cases[] = {
      {DW_OP_lit0, 0, 0},
      {DW_OP_lit7, 0, 7},
      {DW_OP_lit31, 0, 31},
      {DW_OP_const1u, 0xff, 0xff},
      {DW_OP_const1s, s(-1), s(-1)},
      {DW_OP_const2u, 0xfffe, 0xfffe},
      {DW_OP_const2s, s(-2), s(-2)},
      {DW_OP_const4u, 0xfffffffd, 0xfffffffd},
      {DW_OP_const4s, s(-3), s(-3)},
      {DW_OP_const8u, 0xfedcba9876543210, 0xfedcba9876543210},
      {DW_OP_const8s, s(INT64_MIN), s(INT64_MIN)},
      {DW_OP_constu, 1u << 20, 1u << 20},
      {DW_OP_consts, s(-100000), s(-100000)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(static_cast<int>(c.atom));
    Expr e;
    e.op(c.atom, c.number);
    EXPECT_EQ(value(e), c.expect);
    Expr l;
    l.op(c.atom, c.number);
    EXPECT_EQ(computed(l), c.expect);
    // Alone, a constant is an address.
    Expr m;
    m.op(c.atom, c.number);
    EXPECT_EQ(only_piece(m).address, c.expect);
  }
}

// a OP b, with a pushed first.
std::optional<uint64_t> binary(FakeFrame& frame, uint8_t atom, uint64_t a, uint64_t b) {
  Expr e;
  e.op(DW_OP_const8u, a).op(DW_OP_const8u, b).op(atom).op(DW_OP_stack_value);
  Location l = evaluate_location(e.done(), frame);
  if (!l.ok() || l.pieces.size() != 1) return std::nullopt;
  return l.pieces[0].value;
}

TEST_F(DwarfExpression, Arithmetic) {
  EXPECT_EQ(binary(frame, DW_OP_plus, 40, 2), 42u);
  EXPECT_EQ(binary(frame, DW_OP_plus, UINT64_MAX, 2), 1u);  // wraps
  EXPECT_EQ(binary(frame, DW_OP_minus, 2, 40), s(-38));
  EXPECT_EQ(binary(frame, DW_OP_mul, 6, 7), 42u);
  EXPECT_EQ(binary(frame, DW_OP_mul, s(-6), 7), s(-42));
  // DW_OP_div is signed on the generic type.
  EXPECT_EQ(binary(frame, DW_OP_div, 42, 5), 8u);
  EXPECT_EQ(binary(frame, DW_OP_div, s(-42), 5), s(-8));
  EXPECT_EQ(binary(frame, DW_OP_div, s(INT64_MIN), 1), s(INT64_MIN));
  EXPECT_EQ(binary(frame, DW_OP_mod, 42, 5), 2u);
  Expr u;
  u.op(DW_OP_lit20).op(DW_OP_plus_uconst, 22);
  EXPECT_EQ(computed(u), 42u);
  Expr n;
  n.op(DW_OP_lit5).op(DW_OP_neg);
  EXPECT_EQ(computed(n), s(-5));
  Expr a;
  a.op(DW_OP_const1s, s(-9)).op(DW_OP_abs);
  EXPECT_EQ(computed(a), 9u);
  Expr amin;  // |INT64_MIN| wraps to itself instead of overflowing
  amin.op(DW_OP_const8s, s(INT64_MIN)).op(DW_OP_abs);
  EXPECT_EQ(computed(amin), s(INT64_MIN));
  Expr nt;
  nt.op(DW_OP_lit0).op(DW_OP_not);
  EXPECT_EQ(computed(nt), UINT64_MAX);
}

TEST_F(DwarfExpression, BitwiseAndShifts) {
  EXPECT_EQ(binary(frame, DW_OP_and, 0b1100, 0b1010), 0b1000u);
  EXPECT_EQ(binary(frame, DW_OP_or, 0b1100, 0b1010), 0b1110u);
  EXPECT_EQ(binary(frame, DW_OP_xor, 0b1100, 0b1010), 0b0110u);
  EXPECT_EQ(binary(frame, DW_OP_shl, 1, 63), 1ULL << 63);
  EXPECT_EQ(binary(frame, DW_OP_shl, 1, 64), 0u);
  EXPECT_EQ(binary(frame, DW_OP_shl, 1, UINT64_MAX), 0u);
  EXPECT_EQ(binary(frame, DW_OP_shr, s(-1), 60), 0xfu);
  EXPECT_EQ(binary(frame, DW_OP_shr, s(-1), 64), 0u);
  EXPECT_EQ(binary(frame, DW_OP_shra, s(-16), 2), s(-4));
  EXPECT_EQ(binary(frame, DW_OP_shra, s(-16), 64), s(-1));
  EXPECT_EQ(binary(frame, DW_OP_shra, 16, 200), 0u);
}

TEST_F(DwarfExpression, ComparisonsAreSigned) {
  EXPECT_EQ(binary(frame, DW_OP_eq, 3, 3), 1u);
  EXPECT_EQ(binary(frame, DW_OP_eq, 3, 4), 0u);
  EXPECT_EQ(binary(frame, DW_OP_ne, 3, 4), 1u);
  EXPECT_EQ(binary(frame, DW_OP_lt, s(-1), 1), 1u);
  EXPECT_EQ(binary(frame, DW_OP_lt, 1, s(-1)), 0u);
  EXPECT_EQ(binary(frame, DW_OP_gt, 1, s(-1)), 1u);
  EXPECT_EQ(binary(frame, DW_OP_le, 2, 2), 1u);
  EXPECT_EQ(binary(frame, DW_OP_le, 3, 2), 0u);
  EXPECT_EQ(binary(frame, DW_OP_ge, s(INT64_MIN), s(INT64_MAX)), 0u);
  EXPECT_EQ(binary(frame, DW_OP_ge, 2, 2), 1u);
}

TEST_F(DwarfExpression, DivisionByZeroAndOverflowFailCleanly) {
  Expr d;
  d.op(DW_OP_lit5).op(DW_OP_lit0).op(DW_OP_div).op(DW_OP_stack_value);
  expect_failure(d, "div by zero");
  Expr m;
  m.op(DW_OP_lit5).op(DW_OP_lit0).op(DW_OP_mod).op(DW_OP_stack_value);
  expect_failure(m, "mod by zero");
  Expr o;
  o.op(DW_OP_const8s, s(INT64_MIN)).op(DW_OP_const1s, s(-1)).op(DW_OP_div).op(DW_OP_stack_value);
  expect_failure(o, "overflow");
  // INT64_MIN % -1 is unsigned here: no trap either.
  EXPECT_EQ(binary(frame, DW_OP_mod, s(INT64_MIN), s(-1)), s(INT64_MIN));
}

TEST_F(DwarfExpression, StackOperations) {
  Expr dup;  // 3 3 +
  dup.op(DW_OP_lit3).op(DW_OP_dup).op(DW_OP_plus);
  EXPECT_EQ(computed(dup), 6u);
  Expr drop;  // 3 4 drop
  drop.op(DW_OP_lit3).op(DW_OP_lit4).op(DW_OP_drop);
  EXPECT_EQ(computed(drop), 3u);
  Expr over;  // 3 4 over -> 3 4 3
  over.op(DW_OP_lit3).op(DW_OP_lit4).op(DW_OP_over);
  EXPECT_EQ(computed(over), 3u);
  Expr over2;  // 3 4 3 - -> 3 1
  over2.op(DW_OP_lit3).op(DW_OP_lit4).op(DW_OP_over).op(DW_OP_minus);
  EXPECT_EQ(computed(over2), 1u);
  Expr pick0;  // pick 0 is dup
  pick0.op(DW_OP_lit1).op(DW_OP_lit2).op(DW_OP_pick, 0);
  EXPECT_EQ(computed(pick0), 2u);
  Expr pick2;
  pick2.op(DW_OP_lit1).op(DW_OP_lit2).op(DW_OP_lit3).op(DW_OP_pick, 2);
  EXPECT_EQ(computed(pick2), 1u);
  Expr swap;  // 3 4 swap - -> 4 - 3
  swap.op(DW_OP_lit3).op(DW_OP_lit4).op(DW_OP_swap).op(DW_OP_minus);
  EXPECT_EQ(computed(swap), 1u);
  // rot: the top becomes third, the second becomes top, the third second.
  // 1 2 3 rot -> 3 1 2
  Expr rot_top;
  rot_top.op(DW_OP_lit1).op(DW_OP_lit2).op(DW_OP_lit3).op(DW_OP_rot);
  EXPECT_EQ(computed(rot_top), 2u);
  Expr rot_second;
  rot_second.op(DW_OP_lit1).op(DW_OP_lit2).op(DW_OP_lit3).op(DW_OP_rot).op(DW_OP_drop);
  EXPECT_EQ(computed(rot_second), 1u);
  Expr rot_third;
  rot_third.op(DW_OP_lit1)
      .op(DW_OP_lit2)
      .op(DW_OP_lit3)
      .op(DW_OP_rot)
      .op(DW_OP_drop)
      .op(DW_OP_drop);
  EXPECT_EQ(computed(rot_third), 3u);
  Expr nop;
  nop.op(DW_OP_nop).op(DW_OP_lit9).op(DW_OP_nop);
  EXPECT_EQ(computed(nop), 9u);
}

TEST_F(DwarfExpression, StackUnderflowFails) {
  struct Case {
    std::vector<uint8_t> atoms;
    uint64_t number;
  };
  const Case cases[] = {
      {{DW_OP_drop}, 0},
      {{DW_OP_dup}, 0},
      {{DW_OP_lit1, DW_OP_over}, 0},
      {{DW_OP_lit1, DW_OP_swap}, 0},
      {{DW_OP_lit1, DW_OP_lit2, DW_OP_rot}, 0},
      {{DW_OP_lit1, DW_OP_plus}, 0},
      {{DW_OP_lit1, DW_OP_lt}, 0},
      {{DW_OP_neg}, 0},
      {{DW_OP_abs}, 0},
      {{DW_OP_not}, 0},
      {{DW_OP_plus_uconst}, 1},
      {{DW_OP_deref}, 0},
      {{DW_OP_deref_size}, 4},
      {{DW_OP_convert}, 0},
      {{DW_OP_lit1, DW_OP_stack_value, DW_OP_piece, DW_OP_lit0, DW_OP_drop, DW_OP_drop}, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.atoms));
    Expr e;
    for (uint8_t a : c.atoms) e.op(a, c.number);
    expect_failure(e, "underflow");
  }
  Expr pick;
  pick.op(DW_OP_lit1).op(DW_OP_pick, 1);
  expect_failure(pick, "DW_OP_pick");
  Expr bra;
  bra.branch(DW_OP_bra, Expr::kEnd);
  expect_failure(bra, "underflow");
}

TEST_F(DwarfExpression, NothingLeftOnTheStackFails) {
  Expr e;
  e.op(DW_OP_lit1).op(DW_OP_drop);
  expect_failure(e, "left nothing");
  Expr n;
  n.op(DW_OP_nop);
  expect_failure(n, "left nothing");
}

TEST_F(DwarfExpression, StackOverflowFails) {
  EvalLimits limits;
  limits.max_stack = 8;
  Expr ok;
  for (int i = 0; i < 8; ++i) ok.op(DW_OP_lit1);
  EXPECT_TRUE(evaluate_location(ok.done(), frame, limits).ok());
  Expr e;
  for (int i = 0; i < 9; ++i) e.op(DW_OP_lit1);
  expect_failure(e, "overflow", limits);
  Expr dup;
  for (int i = 0; i < 8; ++i) dup.op(DW_OP_lit1);
  dup.op(DW_OP_dup);
  expect_failure(dup, "overflow", limits);
  // The default limit, with every pushing operation.
  for (uint8_t atom : {DW_OP_lit1, DW_OP_dup, DW_OP_breg0, DW_OP_fbreg, DW_OP_call_frame_cfa,
                       DW_OP_addr, DW_OP_constu}) {
    SCOPED_TRACE(static_cast<int>(atom));
    Expr big;
    big.op(DW_OP_lit0);
    for (int i = 0; i < 100; ++i) big.op(atom);
    expect_failure(big, "overflow");
  }
}

TEST_F(DwarfExpression, DerefReadsTargetMemory) {
  frame.mem.put64(kMem, 0x1122334455667788);
  frame.mem.put64(kMem + 8, 0x99aabbccddeeff00);
  Expr d;
  d.op(DW_OP_constu, kMem).op(DW_OP_deref);
  EXPECT_EQ(value(d), 0x1122334455667788u);
  // A pointer in a stack slot, then the variable it points at.
  frame.mem.put64(0x7ffe1000 - 8, kMem + 8);
  Expr chain;
  chain.op(DW_OP_fbreg, s(-8)).op(DW_OP_deref);
  Piece p = only_piece(chain);
  EXPECT_EQ(p.kind, PieceKind::kMemory);
  EXPECT_EQ(p.address, kMem + 8);
  const std::pair<uint64_t, uint64_t> sizes[] = {
      {1, 0x88}, {2, 0x7788}, {4, 0x55667788}, {8, 0x1122334455667788}};
  for (auto [size, expect] : sizes) {
    SCOPED_TRACE(size);
    Expr e;
    e.op(DW_OP_constu, kMem).op(DW_OP_deref_size, size);
    EXPECT_EQ(value(e), expect);
  }
}

TEST_F(DwarfExpression, DerefSize16IsTheLowEightBytes) {
  frame.mem.put64(kMem, 0x1122334455667788);
  frame.mem.put64(kMem + 8, 0x99aabbccddeeff00);
  Expr e;
  e.op(DW_OP_constu, kMem).op(DW_OP_deref_size, 16).op(DW_OP_stack_value);
  EXPECT_EQ(value(e), 0x1122334455667788u);
  EXPECT_EQ(only_piece(e).value, 0x1122334455667788u);
}

TEST_F(DwarfExpression, DerefOfBadSizeOrUnreadableMemoryFails) {
  frame.mem.put64(kMem, 1);
  Expr zero;
  zero.op(DW_OP_constu, kMem).op(DW_OP_deref_size, 0);
  expect_failure(zero, "deref_size");
  Expr big;
  big.op(DW_OP_constu, kMem).op(DW_OP_deref_size, 17);
  expect_failure(big, "deref_size");
  Expr unmapped;
  unmapped.op(DW_OP_constu, 0x999000).op(DW_OP_deref);
  expect_failure(unmapped, "cannot read");
  Expr partial;  // 4 of the 8 bytes are there
  partial.op(DW_OP_constu, kMem + 4).op(DW_OP_deref);
  expect_failure(partial, "cannot read");
  Expr fits;
  fits.op(DW_OP_constu, kMem + 4).op(DW_OP_deref_size, 4);
  EXPECT_EQ(value(fits), 0u);
}

TEST_F(DwarfExpression, LoopWithSkipAndBra) {
  // acc = 0; i = 5; while (i) { acc += i; --i; }  -> 15
  Expr e;
  e.op(DW_OP_lit0);                        // 0: acc
  e.op(DW_OP_lit5);                        // 1: i
  e.op(DW_OP_dup);                         // 2: loop: acc i i
  e.branch(DW_OP_bra, 5);                  // 3: i != 0 -> body
  e.branch(DW_OP_skip, 13);                // 4: -> done
  e.op(DW_OP_dup);                         // 5: body: acc i i
  e.op(DW_OP_rot);                         // 6: i acc i
  e.op(DW_OP_plus);                        // 7: i acc+i
  e.op(DW_OP_swap);                        // 8: acc' i
  e.op(DW_OP_lit1);                        // 9
  e.op(DW_OP_minus);                       // 10: acc' i-1
  e.branch(DW_OP_skip, 2);                 // 11: -> loop
  e.op(DW_OP_nop);                         // 12: never reached
  e.op(DW_OP_drop).op(DW_OP_stack_value);  // 13: done: acc
  Piece p = only_piece(e);
  EXPECT_EQ(p.kind, PieceKind::kValue);
  EXPECT_EQ(p.value, 15u);
  EXPECT_EQ(value(e), 15u);
}

TEST_F(DwarfExpression, BraFallsThroughOnZero) {
  Expr e;
  e.op(DW_OP_lit0).branch(DW_OP_bra, 4).op(DW_OP_lit1).op(DW_OP_stack_value);
  e.op(DW_OP_lit2).op(DW_OP_stack_value);  // 4
  // Falls through to lit1 stack_value, then lit2 follows a stack value: invalid.
  expect_failure(e, "must end the expression");
  Expr taken;
  taken.op(DW_OP_lit7).branch(DW_OP_bra, 4).op(DW_OP_lit1).op(DW_OP_stack_value);
  taken.op(DW_OP_lit2).op(DW_OP_stack_value);  // 4
  EXPECT_EQ(value(taken), 2u);
}

TEST_F(DwarfExpression, SkipToTheEndOfTheExpression) {
  Expr s2;
  s2.op(DW_OP_lit3).branch(DW_OP_skip, Expr::kEnd).op(DW_OP_drop).op(DW_OP_lit9);
  EXPECT_EQ(value(s2), 3u);
  EXPECT_EQ(only_piece(s2).address, 3u);
}

TEST_F(DwarfExpression, EndlessLoopIsCutByMaxSteps) {
  Expr self;  // skip -3: to itself
  self.op(DW_OP_lit1).branch(DW_OP_skip, 1);
  expect_failure(self, "too long");
  Expr back;  // lit1 bra -> lit1: pushes and pops forever
  back.op(DW_OP_lit1).branch(DW_OP_bra, 0);
  expect_failure(back, "too long");
  EvalLimits limits;
  limits.max_steps = 10;
  Expr counted;                                // 5 iterations of 4 steps each exceed 10
  counted.op(DW_OP_lit5);                      // 0
  counted.op(DW_OP_lit1).op(DW_OP_minus);      // 1, 2
  counted.op(DW_OP_dup).branch(DW_OP_bra, 1);  // 3, 4
  expect_failure(counted, "too long", limits);
  limits.max_steps = 100;
  EXPECT_EQ(evaluate_value(counted.done(), frame, limits), 0u);
}

TEST_F(DwarfExpression, BranchIntoTheMiddleOfAnOperationFails) {
  Expr e;
  e.op(DW_OP_const4u, 7);   // 5 bytes: 0..4
  e.op(DW_OP_skip, s(-6));  // offset 5: target 5 + 3 - 6 = 2, inside const4u
  expect_failure(e, "branch");
  Expr before;
  before.op(DW_OP_lit1).op(DW_OP_skip, s(-100));
  expect_failure(before, "branch");
}

TEST_F(DwarfExpression, PiecesOfRegistersMemoryAndValues) {
  // A 16-byte struct: rax, then 4 bytes at fbreg-8, then a constant.
  Expr e;
  e.op(DW_OP_reg0).op(DW_OP_piece, 8);
  e.op(DW_OP_fbreg, s(-8)).op(DW_OP_piece, 4);
  e.op(DW_OP_lit9).op(DW_OP_stack_value).op(DW_OP_piece, 4);
  Location l = loc(e);
  ASSERT_TRUE(l.ok()) << l.error;
  ASSERT_EQ(l.pieces.size(), 3u);
  EXPECT_EQ(l.pieces[0].kind, PieceKind::kRegister);
  EXPECT_EQ(l.pieces[0].regno, 0u);
  EXPECT_EQ(l.pieces[0].size, 8u);
  EXPECT_EQ(l.pieces[1].kind, PieceKind::kMemory);
  EXPECT_EQ(l.pieces[1].address, 0x7ffe1000u - 8);
  EXPECT_EQ(l.pieces[1].size, 4u);
  EXPECT_EQ(l.pieces[2].kind, PieceKind::kValue);
  EXPECT_EQ(l.pieces[2].value, 9u);
  EXPECT_EQ(l.pieces[2].size, 4u);
  // Pieces are not a single value.
  EXPECT_FALSE(value(e).has_value());
}

TEST_F(DwarfExpression, EmptyPieceIsOptimizedOut) {
  Expr e;
  e.op(DW_OP_piece, 4).op(DW_OP_reg5).op(DW_OP_piece, 4).op(DW_OP_piece, 8);
  Location l = loc(e);
  ASSERT_TRUE(l.ok()) << l.error;
  ASSERT_EQ(l.pieces.size(), 3u);
  EXPECT_EQ(l.pieces[0].kind, PieceKind::kOptimizedOut);
  EXPECT_EQ(l.pieces[0].size, 4u);
  EXPECT_EQ(l.pieces[1].kind, PieceKind::kRegister);
  EXPECT_EQ(l.pieces[1].regno, 5u);
  EXPECT_EQ(l.pieces[2].kind, PieceKind::kOptimizedOut);
  EXPECT_EQ(l.pieces[2].size, 8u);
}

TEST_F(DwarfExpression, BitPieces) {
  Expr e;
  e.op(DW_OP_reg0).op(DW_OP_bit_piece, 3, 5);
  e.op(DW_OP_lit1).op(DW_OP_stack_value).op(DW_OP_bit_piece, 13, 0);
  e.op(DW_OP_bit_piece, 64, 0);
  Location l = loc(e);
  ASSERT_TRUE(l.ok()) << l.error;
  ASSERT_EQ(l.pieces.size(), 3u);
  EXPECT_EQ(l.pieces[0].kind, PieceKind::kRegister);
  EXPECT_EQ(l.pieces[0].bit_size, 3u);
  EXPECT_EQ(l.pieces[0].bit_offset, 5u);
  EXPECT_EQ(l.pieces[0].size, 1u);
  EXPECT_EQ(l.pieces[1].kind, PieceKind::kValue);
  EXPECT_EQ(l.pieces[1].bit_size, 13u);
  EXPECT_EQ(l.pieces[1].size, 2u);
  EXPECT_EQ(l.pieces[2].kind, PieceKind::kOptimizedOut);
  EXPECT_EQ(l.pieces[2].size, 8u);
}

TEST_F(DwarfExpression, PiecesOfBadSizeFail) {
  Expr zero;
  zero.op(DW_OP_reg0).op(DW_OP_piece, 0);
  expect_failure(zero, "piece of bad size");
  Expr huge;
  huge.op(DW_OP_reg0).op(DW_OP_piece, UINT64_MAX);
  expect_failure(huge, "piece of bad size");
  Expr bits0;
  bits0.op(DW_OP_reg0).op(DW_OP_bit_piece, 0, 0);
  expect_failure(bits0, "bit_piece of bad size");
  Expr bits65;
  bits65.op(DW_OP_reg0).op(DW_OP_bit_piece, 65, 0);
  expect_failure(bits65, "bit_piece of bad size");
  Expr far;
  far.op(DW_OP_reg0).op(DW_OP_bit_piece, 8, UINT64_MAX);
  expect_failure(far, "bit_piece of bad size");
}

TEST_F(DwarfExpression, TooManyPiecesFail) {
  EvalLimits limits;
  limits.max_pieces = 4;
  Expr ok;
  for (int i = 0; i < 4; ++i) ok.op(DW_OP_reg0).op(DW_OP_piece, 1);
  EXPECT_EQ(evaluate_location(ok.done(), frame, limits).pieces.size(), 4u);
  Expr e;
  for (int i = 0; i < 5; ++i) e.op(DW_OP_reg0).op(DW_OP_piece, 1);
  expect_failure(e, "too many", limits);
  Expr dflt;
  for (int i = 0; i < 1000; ++i) dflt.op(DW_OP_piece, 1);
  expect_failure(dflt, "too many");
}

TEST_F(DwarfExpression, StackValue) {
  Expr e;
  e.op(DW_OP_breg0, 1).op(DW_OP_stack_value);
  Piece p = only_piece(e);
  EXPECT_EQ(p.kind, PieceKind::kValue);
  EXPECT_EQ(p.value, 0x1112u);
  EXPECT_EQ(value(e), 0x1112u);
  Expr empty;
  empty.op(DW_OP_stack_value);
  expect_failure(empty, "empty stack");
}

TEST_F(DwarfExpression, OnlyAPieceMayFollowARegisterOrValueLocation) {
  Expr after_value;
  after_value.op(DW_OP_lit1).op(DW_OP_stack_value).op(DW_OP_lit2);
  expect_failure(after_value, "must end the expression");
  Expr after_reg;
  after_reg.op(DW_OP_reg0).op(DW_OP_lit2).op(DW_OP_plus);
  expect_failure(after_reg, "must end the expression");
  const std::vector<uint8_t> data = {1, 2};
  Expr after_implicit;
  after_implicit.block(DW_OP_implicit_value, data).op(DW_OP_deref);
  expect_failure(after_implicit, "must end the expression");
}

TEST_F(DwarfExpression, ImplicitValueCopiesTheBlock) {
  const std::vector<uint8_t> data = {0xde, 0xad, 0xbe, 0xef, 0x01};
  Expr e;
  e.block(DW_OP_implicit_value, data);
  Piece p = only_piece(e);
  EXPECT_EQ(p.kind, PieceKind::kImplicit);
  EXPECT_EQ(p.bytes, data);
  EXPECT_FALSE(value(e).has_value());
  // Two implicit pieces.
  const std::vector<uint8_t> hi = {7, 7, 7, 7};
  Expr two;
  two.block(DW_OP_implicit_value, data).op(DW_OP_piece, 4);
  two.block(DW_OP_implicit_value, hi).op(DW_OP_piece, 4);
  Location l = loc(two);
  ASSERT_TRUE(l.ok()) << l.error;
  ASSERT_EQ(l.pieces.size(), 2u);
  EXPECT_EQ(l.pieces[0].bytes, data);
  EXPECT_EQ(l.pieces[1].bytes, hi);
  // A zero-length block is a value of no bytes, not a failure.
  Expr none;
  none.op(DW_OP_implicit_value, 0, 0);
  EXPECT_TRUE(only_piece(none).bytes.empty());
}

TEST_F(DwarfExpression, ImplicitValueTooLargeOrWithoutDataFails) {
  std::vector<uint8_t> big(5000, 1);
  Expr e;
  e.block(DW_OP_implicit_value, big);
  expect_failure(e, "too large");
  EvalLimits limits;
  limits.max_implicit = 4;
  const std::vector<uint8_t> five = {1, 2, 3, 4, 5};
  Expr small;
  small.block(DW_OP_implicit_value, five);
  expect_failure(small, "too large", limits);
  Expr null;
  null.op(DW_OP_implicit_value, 4, 0);
  expect_failure(null, "without data");
}

TEST_F(DwarfExpression, ImplicitPointer) {
  Expr e;
  e.op(DW_OP_implicit_pointer, 0x1234, 8);
  EXPECT_EQ(only_piece(e).kind, PieceKind::kImplicitPointer);
  Expr g;
  g.op(DW_OP_GNU_implicit_pointer, 0x1234, 0).op(DW_OP_piece, 8).op(DW_OP_reg0).op(DW_OP_piece, 8);
  Location l = loc(g);
  ASSERT_TRUE(l.ok()) << l.error;
  ASSERT_EQ(l.pieces.size(), 2u);
  EXPECT_EQ(l.pieces[0].kind, PieceKind::kImplicitPointer);
  EXPECT_EQ(l.pieces[1].kind, PieceKind::kRegister);
  EXPECT_FALSE(value(e).has_value());
}

TEST_F(DwarfExpression, EntryValueOfARegisterThroughTheHook) {
  frame.entry_hook = [](std::span<const Dwarf_Op> inner) -> std::optional<uint64_t> {
    if (inner.size() == 1 && inner[0].atom == DW_OP_regx && inner[0].number == 5) return 42;
    return std::nullopt;
  };
  const std::vector<uint8_t> reg5 = {DW_OP_reg5};
  Expr e;
  e.block(DW_OP_entry_value, reg5).op(DW_OP_stack_value);
  Location l = loc(e);
  ASSERT_TRUE(l.ok()) << l.error;
  EXPECT_TRUE(l.from_entry_value);
  ASSERT_EQ(l.pieces.size(), 1u);
  EXPECT_EQ(l.pieces[0].kind, PieceKind::kValue);
  EXPECT_EQ(l.pieces[0].value, 42u);
  ASSERT_FALSE(frame.entry_requests.empty());
  EXPECT_EQ(frame.entry_requests.back().size(), 1u);
  EXPECT_EQ(frame.entry_requests.back()[0].atom, DW_OP_regx);
  EXPECT_EQ(frame.entry_requests.back()[0].number, 5u);
  // Arithmetic on it, and the GNU spelling.
  Expr g;
  g.block(DW_OP_GNU_entry_value, reg5).op(DW_OP_plus_uconst, 8).op(DW_OP_stack_value);
  EXPECT_EQ(value(g), 50u);
  // An entry value as an address.
  Expr addr;
  addr.block(DW_OP_entry_value, reg5);
  Piece p = only_piece(addr);
  EXPECT_EQ(p.kind, PieceKind::kMemory);
  EXPECT_EQ(p.address, 42u);
}

TEST_F(DwarfExpression, EntryValueRegxForm) {
  frame.entry_hook = [](std::span<const Dwarf_Op> inner) -> std::optional<uint64_t> {
    return inner[0].number * 2;
  };
  const std::vector<uint8_t> regx17 = {DW_OP_regx, 17};
  Expr e;
  e.block(DW_OP_entry_value, regx17).op(DW_OP_stack_value);
  EXPECT_EQ(value(e), 34u);
  const std::vector<uint8_t> regx127 = {DW_OP_regx, 0xff, 0x00};  // 127, over-long LEB128
  Expr l;
  l.block(DW_OP_entry_value, regx127).op(DW_OP_stack_value);
  EXPECT_EQ(value(l), 254u);
  const std::vector<uint8_t> regx128 = {DW_OP_regx, 0x80, 0x01};
  Expr big;
  big.block(DW_OP_entry_value, regx128).op(DW_OP_stack_value);
  expect_failure(big, "unsupported DW_OP_entry_value");
  const std::vector<uint8_t> unterminated = {DW_OP_regx, 0x85};
  Expr bad;
  bad.block(DW_OP_entry_value, unterminated).op(DW_OP_stack_value);
  expect_failure(bad, "unsupported DW_OP_entry_value");
}

TEST_F(DwarfExpression, EntryValueWithoutTheHookFails) {
  const std::vector<uint8_t> reg5 = {DW_OP_reg5};
  Expr e;
  e.block(DW_OP_entry_value, reg5).op(DW_OP_stack_value);
  Location l = loc(e);
  EXPECT_FALSE(l.ok());
  EXPECT_TRUE(l.pieces.empty());
  EXPECT_NE(l.error.find("entry"), std::string::npos) << l.error;
  EXPECT_FALSE(value(e).has_value());
}

TEST_F(DwarfExpression, EntryValueOfAnythingButARegisterFails) {
  frame.entry_hook = [](std::span<const Dwarf_Op>) -> std::optional<uint64_t> { return 1; };
  const std::vector<std::vector<uint8_t>> blocks = {
      {},                        // empty
      {DW_OP_breg5, 0},          // a memory location
      {DW_OP_reg5, DW_OP_reg6},  // two operations
      {DW_OP_lit1},              // not a register
      {DW_OP_regx},              // no operand
  };
  for (const auto& b : blocks) {
    SCOPED_TRACE(::testing::PrintToString(b));
    Expr e;
    e.block(DW_OP_entry_value, b).op(DW_OP_stack_value);
    expect_failure(e, "unsupported DW_OP_entry_value");
  }
  Expr null;
  null.op(DW_OP_entry_value, 1, 0).op(DW_OP_stack_value);
  expect_failure(null, "unsupported DW_OP_entry_value");
}

TEST_F(DwarfExpression, CallFrameCfa) {
  Expr e;
  e.op(DW_OP_call_frame_cfa);
  Piece p = only_piece(e);
  EXPECT_EQ(p.kind, PieceKind::kMemory);
  EXPECT_EQ(p.address, 0x7ffe2000u);
  Expr v;  // gcc's usual frame base
  v.op(DW_OP_call_frame_cfa);
  EXPECT_EQ(value(v), 0x7ffe2000u);
  Expr off;
  off.op(DW_OP_call_frame_cfa).op(DW_OP_consts, s(-16)).op(DW_OP_plus);
  EXPECT_EQ(value(off), 0x7ffe1ff0u);
  frame.cfa_value.reset();
  Expr none;
  none.op(DW_OP_call_frame_cfa);
  expect_failure(none, "canonical frame address");
}

TEST_F(DwarfExpression, ConvertThroughTheBaseTypeHook) {
  frame.types[0x30] = {1, true};   // signed char
  frame.types[0x38] = {4, false};  // unsigned int
  frame.types[0x40] = {2, true};   // short
  Expr sc;
  sc.op(DW_OP_const2u, 0xff80).op(DW_OP_convert, 0x30).op(DW_OP_stack_value);
  EXPECT_EQ(value(sc), s(-128));
  Expr ui;
  ui.op(DW_OP_const1s, s(-1)).op(DW_OP_GNU_convert, 0x38).op(DW_OP_stack_value);
  EXPECT_EQ(value(ui), 0xffffffffu);
  Expr re;
  re.op(DW_OP_const4u, 0x12348001).op(DW_OP_reinterpret, 0x40).op(DW_OP_stack_value);
  EXPECT_EQ(value(re), s(-32767));
  Expr generic;  // to the generic type: unchanged
  generic.op(DW_OP_const1s, s(-1)).op(DW_OP_convert, 0).op(DW_OP_stack_value);
  EXPECT_EQ(value(generic), UINT64_MAX);
  Expr unknown;
  unknown.op(DW_OP_lit1).op(DW_OP_convert, 0x99).op(DW_OP_stack_value);
  expect_failure(unknown, "unknown type");
}

TEST_F(DwarfExpression, RegvalTypeAndDerefType) {
  frame.types[0x30] = {4, true};
  frame.regs[0] = 0x1fffffffe;
  Expr r;
  r.op(DW_OP_regval_type, 0, 0x30).op(DW_OP_stack_value);
  EXPECT_EQ(value(r), s(-2));
  Expr unknown;
  unknown.op(DW_OP_regval_type, 0, 0x31).op(DW_OP_stack_value);
  expect_failure(unknown, "unknown type");
  Expr missing;
  missing.op(DW_OP_GNU_regval_type, 9, 0x30).op(DW_OP_stack_value);
  expect_failure(missing, "not recovered");
  frame.mem.put(kMem, {0xfd, 0xff, 0xff, 0xff, 0x55});
  Expr d;
  d.op(DW_OP_constu, kMem).op(DW_OP_deref_type, 4, 0x30).op(DW_OP_stack_value);
  EXPECT_EQ(value(d), s(-3));
  Expr dbad;
  dbad.op(DW_OP_constu, kMem).op(DW_OP_GNU_deref_type, 4, 0x31).op(DW_OP_stack_value);
  expect_failure(dbad, "unknown type");
}

// GCC evaluates an unsigned 64-bit division as DW_OP_convert <unsigned long>
// on both operands, DW_OP_div, DW_OP_convert 0 (typed_binop in dwarf2out.cc),
// because DW_OP_div on the generic type is signed. DWARF 5 2.5.1.4: the
// operation is done in the operands' type, so this one is unsigned.
TEST_F(DwarfExpression, DivOfUnsignedTypedOperandsIsUnsigned) {
  frame.types[0x30] = {8, false};  // unsigned long
  Expr e;
  e.op(DW_OP_const8u, 0xfffffffffffffffe)
      .op(DW_OP_convert, 0x30)
      .op(DW_OP_lit2)
      .op(DW_OP_convert, 0x30)
      .op(DW_OP_div)
      .op(DW_OP_convert, 0)
      .op(DW_OP_stack_value);
  EXPECT_EQ(value(e), 0x7fffffffffffffffu);
}

// The same rule for comparisons, and the operand's type survives the stack
// operations between the conversion and its use.
TEST_F(DwarfExpression, UnsignedTypedOperandsThroughStackOperations) {
  frame.types[0x30] = {8, false};  // unsigned long
  frame.types[0x38] = {8, true};   // long
  Expr gt;                         // 0xff..ff > 1 as unsigned
  gt.op(DW_OP_const8u, UINT64_MAX)
      .op(DW_OP_convert, 0x30)
      .op(DW_OP_lit1)
      .op(DW_OP_convert, 0x30)
      .op(DW_OP_gt)
      .op(DW_OP_stack_value);
  EXPECT_EQ(value(gt), 1u);
  Expr signed_gt;  // and -1 > 1 as signed
  signed_gt.op(DW_OP_const8u, UINT64_MAX)
      .op(DW_OP_convert, 0x38)
      .op(DW_OP_lit1)
      .op(DW_OP_convert, 0x38)
      .op(DW_OP_gt)
      .op(DW_OP_stack_value);
  EXPECT_EQ(value(signed_gt), 0u);
  Expr swapped;  // 2 and 0xff..fe, swapped into place: 0xff..fe / 2
  swapped.op(DW_OP_lit2)
      .op(DW_OP_convert, 0x30)
      .op(DW_OP_const8u, 0xfffffffffffffffe)
      .op(DW_OP_convert, 0x30)
      .op(DW_OP_swap)
      .op(DW_OP_over)
      .op(DW_OP_drop)
      .op(DW_OP_div)
      .op(DW_OP_stack_value);
  EXPECT_EQ(value(swapped), 0x7fffffffffffffffu);
}

TEST_F(DwarfExpression, UnknownOperationsFail) {
  for (unsigned atom :
       {0x00u, 0x01u, 0x02u, unsigned{DW_OP_xderef}, unsigned{DW_OP_xderef_size},
        unsigned{DW_OP_call2}, unsigned{DW_OP_call4}, unsigned{DW_OP_call_ref},
        unsigned{DW_OP_push_object_address}, unsigned{DW_OP_const_type}, unsigned{DW_OP_addrx},
        unsigned{DW_OP_constx}, unsigned{DW_OP_GNU_parameter_ref}, unsigned{DW_OP_GNU_uninit},
        unsigned{DW_OP_GNU_variable_value}, 0xe1u, 0xffu}) {
    SCOPED_TRACE(atom);
    Expr e;
    e.op(DW_OP_lit1).op(static_cast<uint8_t>(atom)).op(DW_OP_stack_value);
    expect_failure(e, "unsupported DWARF operation");
  }
  Expr e;
  e.op(DW_OP_lit1).op(0xff);
  EXPECT_EQ(loc(e).error, "unsupported DWARF operation 0xff");
  for (uint8_t atom : {DW_OP_form_tls_address, DW_OP_GNU_push_tls_address}) {
    Expr tls;
    tls.op(DW_OP_const8u, 0x10).op(atom);
    expect_failure(tls, "thread-local");
  }
}

TEST_F(DwarfExpression, RegisterNumbersOutOfRangeFail) {
  for (uint64_t n : {uint64_t{128}, uint64_t{1} << 32, UINT64_MAX}) {
    SCOPED_TRACE(n);
    Expr regx;
    regx.op(DW_OP_regx, n);
    expect_failure(regx, "out of range");
    Expr bregx;
    bregx.op(DW_OP_bregx, n, 0);
    expect_failure(bregx, "out of range");
    Expr regval;
    regval.op(DW_OP_regval_type, n, 0).op(DW_OP_stack_value);
    expect_failure(regval, "out of range");
  }
}

TEST_F(DwarfExpression, FrameBaseAndCfaRulesAsValues) {
  // gcc -O0: DW_AT_frame_base is DW_OP_call_frame_cfa; clang: DW_OP_reg6.
  Expr cfa;
  cfa.op(DW_OP_call_frame_cfa);
  EXPECT_EQ(value(cfa), 0x7ffe2000u);
  Expr rbp;
  rbp.op(DW_OP_reg6);
  EXPECT_EQ(value(rbp), 0x7ffe0000u);
  // A CFA rule: rsp + 16.
  Expr rule;
  rule.op(DW_OP_breg7, 16);
  EXPECT_EQ(value(rule), 0x7ffd0010u);
  // A value the stack does not end with.
  Expr none;
  none.op(DW_OP_lit1).op(DW_OP_drop);
  EXPECT_FALSE(value(none).has_value());
}

}  // namespace
}  // namespace corostack::variables
