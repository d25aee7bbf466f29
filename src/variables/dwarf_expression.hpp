#pragma once
// A DWARF location-expression evaluator (DWARF 2-5 stack machine): given the
// operations that describe where a variable lives at one pc, and what the
// unwinder knows about the frame, says where the bytes are. It never reads
// beyond what a location needs, and every input is hostile: stack depth,
// branch steps, piece counts and implicit sizes are bounded, and an
// operation it does not know ends the evaluation with a reason instead of a
// guess. Independent of libdw's handles (plain Dwarf_Op arrays), so the
// fuzzer and the unit tests drive it directly.
#include <elfutils/libdw.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "target/memory_reader.hpp"

namespace corostack::variables {

// What the evaluator may ask about the frame it evaluates in.
class FrameContext {
 public:
  virtual ~FrameContext() = default;
  // DWARF register number (x86-64: 0 rax ... 7 rsp, 8-15 r8-r15, 16 rip);
  // nullopt when the unwinder did not recover it for this frame.
  virtual std::optional<uint64_t> reg(unsigned regno) const = 0;
  // The canonical frame address (DW_OP_call_frame_cfa).
  virtual std::optional<uint64_t> cfa() const = 0;
  // The function's DW_AT_frame_base, already evaluated (DW_OP_fbreg).
  virtual std::optional<uint64_t> frame_base() const = 0;
  // DW_OP_addr operands are link-time addresses: add the module's load bias.
  virtual uint64_t bias() const = 0;
  virtual const MemoryReader& memory() const = 0;
  // The base type at `die_offset` in the current unit (DW_OP_convert and
  // the other typed-stack operations): its size in bytes and signedness.
  struct BaseType {
    uint64_t size = 8;
    bool is_signed = false;
  };
  virtual std::optional<BaseType> base_type(uint64_t die_offset) const {
    (void)die_offset;
    return std::nullopt;
  }
  // DW_OP_entry_value: the value `inner` had when the function was entered,
  // recovered from the caller's call site (DW_TAG_call_site_parameter). The
  // caller's value may itself be an entry value: the context bounds that
  // recursion (frame_variables: 4 callers out).
  virtual std::optional<uint64_t> entry_value(std::span<const Dwarf_Op> inner) const {
    (void)inner;
    return std::nullopt;
  }
};

enum class PieceKind {
  kMemory,           // `address` holds the bytes
  kRegister,         // register `regno` holds them
  kValue,            // computed: `value` (DW_OP_stack_value)
  kImplicit,         // the bytes themselves (DW_OP_implicit_value)
  kOptimizedOut,     // an empty piece: nothing describes this part
  kImplicitPointer,  // DW_OP_implicit_pointer: points at a variable with no address
};

struct Piece {
  PieceKind kind = PieceKind::kOptimizedOut;
  uint64_t address = 0;
  unsigned regno = 0;
  uint64_t value = 0;
  std::vector<uint8_t> bytes;  // kImplicit
  uint64_t size = 0;           // bytes; 0 = the whole object (no DW_OP_piece)
  uint64_t bit_size = 0;       // DW_OP_bit_piece; 0 = whole bytes
  uint64_t bit_offset = 0;
};

struct Location {
  std::vector<Piece> pieces;      // empty with an error: could not be evaluated
  bool from_entry_value = false;  // a DW_OP_entry_value was used
  std::string error;              // why evaluation stopped ("" on success)
  // The error is not the expression's fault: a register the unwinder did not
  // recover, an entry value no call site records (gdb: <optimized out>).
  bool unavailable = false;
  bool ok() const { return error.empty() && !pieces.empty(); }
};

struct EvalLimits {
  size_t max_stack = 64;
  size_t max_steps = 10'000;  // operations executed, branches included
  size_t max_pieces = 64;
  size_t max_implicit = 4096;  // bytes of one DW_OP_implicit_value
};

// Evaluates `ops` as a location description. An empty expression means the
// variable is optimized out at this pc.
Location evaluate_location(std::span<const Dwarf_Op> ops, const FrameContext& frame,
                           const EvalLimits& limits = {});

// Evaluates `ops` as a DWARF expression whose result is the value on top of
// the stack (DW_AT_frame_base of the form DW_OP_bregN, DW_AT_call_value, a
// CFA rule). A register location (DW_OP_regN) yields the register's value.
std::optional<uint64_t> evaluate_value(std::span<const Dwarf_Op> ops, const FrameContext& frame,
                                       const EvalLimits& limits = {});

}  // namespace corostack::variables
