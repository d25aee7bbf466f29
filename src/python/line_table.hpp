#pragma once
// Decoding CPython line tables (2.7, 3.6–3.13) into source line numbers.
//
// Pure functions over bytes already copied from the target: nothing here
// reads target memory. Tables are untrusted: every read is bounds-checked,
// every loop consumes at least one byte per iteration, varints are capped at
// 5 bytes / 32 bits and line arithmetic is overflow-checked. Malformed input
// yields std::nullopt (or some line), never undefined behaviour.
//
// Formats (see docs/python-layouts.md, "Line tables"):
//   2.7      co_lnotab       (addr_incr u8, line_incr u8) pairs, byte offsets
//   3.6–3.9  co_lnotab       (addr_incr u8, line_incr s8) pairs, byte offsets
//   3.10     co_linetable    (start_delta u8, line_delta s8) pairs, byte
//                            offsets, line_delta -128 = "no line"
//   3.11+    co_linetable    PEP 657 location table, lengths in code units
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace corostack::python {

// 3.6–3.9 co_lnotab. byte_offset is an offset into co_code (f_lasti in these
// versions). Offsets past the last entry keep the last line, like
// dis.findlinestarts / PyCode_Addr2Line. nullopt only for an odd-length
// table or a line that leaves the int range.
std::optional<int> lnotab_line(std::span<const std::byte> lnotab, int firstlineno,
                               uint32_t byte_offset);

// 2.7 co_lnotab: the same pairs with an UNSIGNED line increment (2.7's
// Objects/lnotab_notes.txt: "the line increments are unsigned"; 3.6 made them
// signed). byte_offset is f_lasti, a byte offset into co_code: 2.7
// instructions are 1 or 3 bytes long, so offsets are not code units.
std::optional<int> lnotab27_line(std::span<const std::byte> lnotab, int firstlineno,
                                 uint32_t byte_offset);

// 3.10 co_linetable (PEP 626). byte_offset is an offset into co_code (3.10's
// f_lasti is an instruction index: multiply by 2). nullopt when the
// instruction has no line (delta -128), when the offset is past the end of
// the table, or on malformed input.
std::optional<int> linetable_310_line(std::span<const std::byte> table, int firstlineno,
                                      uint32_t byte_offset);

// 3.11+ location table (PEP 657). code_unit_index counts 2-byte code units
// from the start of co_code_adaptive (cache entries included). Returns the
// start line of the instruction; nullopt for "no location" entries (code 15),
// for an index past the end of the table and on malformed input.
std::optional<int> location_table_line(std::span<const std::byte> table, int firstlineno,
                                       uint32_t code_unit_index);

// The PEP 657 position of one instruction: start and end line, start and
// end column (UTF-8 byte offsets into the line, end exclusive), as
// code.co_positions() gives it. Columns are absent for "no column" entries.
struct SourcePosition {
  int line = 0;
  int end_line = 0;
  std::optional<int> column;
  std::optional<int> end_column;
};

// 3.11+ location table: the whole position of the instruction at
// code_unit_index; nullopt as for location_table_line.
std::optional<SourcePosition> location_table_position(std::span<const std::byte> table,
                                                      int firstlineno, uint32_t code_unit_index);

enum class LineTableFormat {
  kLnotab27,       // 2.7 co_lnotab (unsigned line increments, byte positions)
  kLnotab,         // 3.6–3.9 co_lnotab
  kLinetable310,   // 3.10 co_linetable
  kLocationTable,  // 3.11+ co_linetable
};

// Which format a CPython major.minor uses; nullopt outside 2.7 and 3.6–3.13.
std::optional<LineTableFormat> line_table_format(int major, int minor);

// Dispatches on the version. The position is always a code-unit index
// (2-byte units, the same unit in every supported 3.x version): for 3.6–3.9
// pass f_lasti / 2, for 3.10 f_lasti, for 3.11+ (prev_instr or instr_ptr -
// co_code_adaptive) / 2. 2.7 has no code units (instructions of 1 or 3
// bytes): pass f_lasti, a byte offset. nullopt for unsupported versions.
std::optional<int> line_for(int major, int minor, std::span<const std::byte> table, int firstlineno,
                            uint32_t code_unit_index);

}  // namespace corostack::python
