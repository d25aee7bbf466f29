#include "native/unwinder.hpp"

#include "target/frame_pointer_guess.hpp"

#include <dwarf.h>

namespace corostack {
namespace {

// DWARF register numbers for x86-64: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip.
constexpr int kDwarfRegs = 17;

// libdwfl hands each thread's opaque argument to set_initial_registers, and
// uses the same value as the iteration cursor of next_thread.
struct ThreadSlot {
  size_t index;  // position in Context::slots
  const ThreadState* thread;
  // Partial registers: rbp recovered from the stack for a second attempt.
  std::optional<uint64_t> frame_pointer;
};

struct Context {
  const MemoryReader* memory;
  std::vector<ThreadSlot> slots;
};

pid_t next_thread(Dwfl*, void* dwfl_arg, void** thread_argp) {
  auto* ctx = static_cast<Context*>(dwfl_arg);
  size_t next = *thread_argp ? static_cast<ThreadSlot*>(*thread_argp)->index + 1 : 0;
  if (next >= ctx->slots.size()) return 0;
  *thread_argp = &ctx->slots[next];
  return ctx->slots[next].thread->tid;
}

bool get_thread(Dwfl*, pid_t tid, void* dwfl_arg, void** thread_argp) {
  auto* ctx = static_cast<Context*>(dwfl_arg);
  for (ThreadSlot& slot : ctx->slots) {
    if (slot.thread->tid == tid) {
      *thread_argp = &slot;
      return true;
    }
  }
  return false;
}

bool memory_read(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* dwfl_arg) {
  auto* ctx = static_cast<Context*>(dwfl_arg);
  auto v = ctx->memory->read_value<uint64_t>(RemoteAddr(addr));
  if (!v) return false;
  *result = *v;
  return true;
}

bool set_initial_registers(Dwfl_Thread* thread, void* thread_arg) {
  const ThreadSlot& slot = *static_cast<ThreadSlot*>(thread_arg);
  const ThreadState& ts = *slot.thread;
  const X86_64Regs& r = ts.regs;
  if (ts.regs_partial) {
    // A thread read without stopping it: only its stack and instruction
    // pointers are known (from /proc/TID/syscall); the others stay undefined,
    // so CFI that needs them ends the unwind instead of inventing frames.
    Dwarf_Word sp = r.rsp;
    if (!dwfl_thread_state_registers(thread, 7, 1, &sp)) return false;
    if (slot.frame_pointer) {
      Dwarf_Word bp = *slot.frame_pointer;
      if (!dwfl_thread_state_registers(thread, 6, 1, &bp)) return false;
    }
    dwfl_thread_state_register_pc(thread, r.rip);
    return true;
  }
  Dwarf_Word dw[kDwarfRegs] = {r.rax, r.rdx, r.rcx, r.rbx, r.rsi, r.rdi, r.rbp, r.rsp, r.r8,
                               r.r9,  r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rip};
  if (!dwfl_thread_state_registers(thread, 0, kDwarfRegs, dw)) return false;
  dwfl_thread_state_register_pc(thread, r.rip);
  return true;
}

const Dwfl_Thread_Callbacks kThreadCallbacks = {
    .next_thread = next_thread,
    .get_thread = get_thread,
    .memory_read = memory_read,
    .set_initial_registers = set_initial_registers,
    .detach = nullptr,
    .thread_detach = nullptr,
};

// libdw's x86-64 ABI rules (elfutils 0.188, backends/x86_64_cfi.c) mark
// register 0 (rax) "same value" where they mean rbx (3). So in a caller frame
// libdwfl reports the callee's rax, which is caller-saved and meaningless
// there, and loses rbx, which a callee leaves alone unless its CFI says it
// saved it. Put that right for the variables read from each frame (the
// unwinder's own walk is unaffected: x86-64 CFAs never depend on rbx).
void fix_abi_registers(const FrameRegisters& callee, FrameRegisters& caller) {
  if (caller.is_activation) return;  // a signal frame: everything was saved
  constexpr unsigned kRax = 0, kRbx = 3;
  caller.known &= ~(1u << kRax);
  if (!(caller.known >> kRbx & 1) && (callee.known >> kRbx & 1)) {
    caller.regs[kRbx] = callee.regs[kRbx];
    caller.known |= 1u << kRbx;
  }
}

struct WalkState {
  UnwoundThread* out;
  size_t max_frames;
  bool registers;
  std::vector<uint64_t> sps;  // stack pointer of each frame reached (0: unknown)
};

int on_frame(Dwfl_Frame* frame, void* arg) {
  auto* ws = static_cast<WalkState*>(arg);
  Dwarf_Addr pc;
  bool activation = false;
  if (!dwfl_frame_pc(frame, &pc, &activation)) {
    ws->out->error = std::string("cannot read pc: ") + dwfl_errmsg(-1);
    return DWARF_CB_ABORT;
  }
  if (ws->out->frames.size() >= ws->max_frames) {
    ws->out->truncated = true;
    return DWARF_CB_ABORT;
  }
  ws->out->frames.push_back(RawFrame{pc, activation});
  if (ws->registers) {
    FrameRegisters fr;
    fr.pc = pc;
    fr.is_activation = activation;
    for (unsigned n = 0; n < kFrameRegisters; ++n) {
      Dwarf_Word v = 0;
      if (dwfl_frame_reg(frame, n, &v) == 0) {
        fr.regs[n] = v;
        fr.known |= 1u << n;
      }
    }
    if (!ws->out->registers.empty()) fix_abi_registers(ws->out->registers.back(), fr);
    ws->out->registers.push_back(fr);
  }
  Dwarf_Word sp = 0;
  ws->sps.push_back(dwfl_frame_reg(frame, 7, &sp) == 0 ? sp : 0);
  return DWARF_CB_OK;
}

// Frames above the innermost are return addresses; one that does not follow
// a call instruction came from a wrong register (see regs_partial).
void cut_implausible(const MemoryReader& memory, UnwoundThread& ut) {
  for (size_t i = 1; i < ut.frames.size(); ++i) {
    if (ut.frames[i].is_activation || follows_call(memory, ut.frames[i].pc)) continue;
    ut.frames.resize(i);
    if (ut.registers.size() > i) ut.registers.resize(i);
    ut.truncated = false;
    break;
  }
}

}  // namespace

std::vector<UnwoundThread> unwind_threads(DwflSession& session, pid_t pid, const Capture& capture,
                                          const MemoryReader& memory,
                                          const UnwindOptions& options) {
  // The callbacks stay attached to the session's Dwfl (libdwfl allows one
  // attach per Dwfl); each call swaps in this capture's threads and memory.
  bool attached = session.unwind_state() != nullptr;
  if (!attached) session.unwind_state() = std::make_shared<Context>();
  Context& ctx = *static_cast<Context*>(session.unwind_state().get());
  ctx.memory = &memory;
  ctx.slots.clear();
  for (const ThreadState& t : capture.threads) {
    if (t.regs_valid) ctx.slots.push_back(ThreadSlot{ctx.slots.size(), &t, std::nullopt});
  }
  std::vector<UnwoundThread> out;
  if (ctx.slots.empty()) return out;
  Dwfl* dwfl = session.dwfl();
  // The ELF used for the backend (register layout) comes from the first module.
  if (!attached && !dwfl_attach_state(dwfl, nullptr, pid, &kThreadCallbacks, &ctx)) {
    std::string why = std::string("cannot unwind: ") + dwfl_errmsg(-1);
    for (const ThreadSlot& s : ctx.slots)
      out.push_back(UnwoundThread{s.thread->tid, {}, why, false, {}});
    session.unwind_state().reset();  // not attached: the next call tries again
    return out;
  }
  for (ThreadSlot& s : ctx.slots) {
    UnwoundThread ut;
    ut.tid = s.thread->tid;
    WalkState ws{&ut, options.max_frames, options.registers, {}};
    int rc = dwfl_getthread_frames(dwfl, ut.tid, on_frame, &ws);
    if (s.thread->regs_partial) {
      // A thread not stopped gives no rbp: libdwfl ends the walk (as if at
      // the outermost frame) where CFI needs it, or follows a stale value.
      // Cut at the first caller frame whose return address does not follow a
      // call; recover rbp from the stack above the last good frame and walk
      // again; keep the longer plausible walk.
      cut_implausible(memory, ut);
      uint64_t from =
          ut.frames.empty() || ut.frames.size() > ws.sps.size() ? 0 : ws.sps[ut.frames.size() - 1];
      if (!ut.truncated && from) {
        // The function of the last good frame: pairs returning into it are
        // its callees' stale frames.
        uint64_t pc = ut.frames.back().pc - (ut.frames.back().is_activation ? 0 : 1);
        GElf_Off off = 0;
        GElf_Sym sym{};
        Dwfl_Module* mod = dwfl_addrmodule(dwfl, pc);
        bool known = mod && dwfl_module_addrinfo(mod, pc, &off, &sym, nullptr, nullptr, nullptr);
        uint64_t fn_start = pc - off, fn_size = sym.st_size;
        auto same = [&](uint64_t ret) { return known && fn_size && ret - 1 - fn_start < fn_size; };
        auto bp = guess_frame_pointer(memory, from, same);
        if (bp) {
          s.frame_pointer = bp;
          UnwoundThread again;
          again.tid = ut.tid;
          WalkState ws2{&again, options.max_frames, options.registers, {}};
          int rc2 = dwfl_getthread_frames(dwfl, ut.tid, on_frame, &ws2);
          cut_implausible(memory, again);
          if (again.frames.size() > ut.frames.size()) {
            ut = std::move(again);
            rc = rc2;
          }
        }
      }
    }
    if (rc != 0 && ut.error.empty() && !ut.truncated) {
      // libdwfl reports how the walk ended; an ordinary end of stack is rc 0.
      ut.error = std::string("unwind stopped: ") + dwfl_errmsg(-1);
    }
    if (ut.frames.empty() && ut.error.empty()) ut.error = "no frames";
    out.push_back(std::move(ut));
  }
  ctx.slots.clear();  // they point into `capture`
  return out;
}

}  // namespace corostack
