#pragma once
// What the unwinder recovered for one physical frame: its pc and the x86-64
// general registers CFI could restore there (callee-saved ones in outer
// frames; caller-saved ones only in the innermost frame of a stopped
// thread). DWARF numbering, as location expressions use it.
#include <array>
#include <cstdint>
#include <optional>

namespace corostack {

constexpr unsigned kFrameRegisters = 17;  // DWARF 0-16: rax rdx rcx rbx rsi rdi rbp rsp r8-r15 rip

struct FrameRegisters {
  uint64_t pc = 0;
  bool is_activation = false;  // pc is exact (innermost or signal frame)
  std::array<uint64_t, kFrameRegisters> regs{};
  uint32_t known = 0;  // bit n: regs[n] was recovered
  std::optional<uint64_t> reg(unsigned n) const {
    if (n >= kFrameRegisters || !(known >> n & 1)) return std::nullopt;
    return regs[n];
  }
};

}  // namespace corostack
