#pragma once
// x86-64 general-purpose registers in the kernel's user_regs_struct order,
// which is also the layout of pr_reg in a core's NT_PRSTATUS note.
#include <cstdint>

namespace corostack {

struct X86_64Regs {
  uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, orig_rax, rip,
      cs, eflags, rsp, ss, fs_base, gs_base, ds, es, fs, gs;
};
static_assert(sizeof(X86_64Regs) == 27 * 8);

}  // namespace corostack
