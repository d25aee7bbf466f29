#pragma once
// Suspend index -> source line, in order of reliability:
//  1. clang >= 21 DW_TAG_label `__coro_resume_N` with the suspend index in
//     attribute 0x3e0d (DW_AT_LLVM_coro_suspend_idx) and a low_pc: exact.
//  2. An immediate-store scan of the resume/actor code: x86-64
//     `movb $N, disp(%reg)` (clang) or `movw $N, disp(%reg)` (GCC) into the
//     index slot, mapped to the line of the store. Exact at -O0; at -O2 the
//     index usually comes from a register, so the scan finds a partial set
//     and is discarded.
//  3. Nothing: precision kNone.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "coro/coro_dwarf.hpp"
#include "coro/coro_table.hpp"

namespace corostack::coro {

// An immediate store into the index slot found in machine code.
struct IndexStore {
  uint64_t offset = 0;  // from the start of `code`
  uint32_t value = 0;
};

// x86-64 stores of an immediate into [reg + index_offset]: `movb $imm8`
// (C6 /0) when index_size is 1, `movw $imm16` (66 C7 /0) when it is 2.
// A REX prefix and a SIB byte are accepted; RIP-relative and absolute forms
// are not (the frame is always addressed through a register).
std::vector<IndexStore> find_index_stores(std::span<const uint8_t> code, uint64_t index_offset,
                                          uint32_t index_size);

// Fills suspend_points, precision and max_index (when it can be derived).
void resolve_suspend_points(ModuleDwarf& dwarf, const CoroDies& dies, CoroutineInfo& info);

}  // namespace corostack::coro
