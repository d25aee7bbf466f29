#include "native/unwinder.hpp"

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
  const X86_64Regs& r = static_cast<ThreadSlot*>(thread_arg)->thread->regs;
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

struct WalkState {
  UnwoundThread* out;
  size_t max_frames;
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
  return DWARF_CB_OK;
}

}  // namespace

std::vector<UnwoundThread> unwind_threads(DwflSession& session, pid_t pid, const Capture& capture,
                                          const MemoryReader& memory,
                                          const UnwindOptions& options) {
  Context ctx{&memory, {}};
  for (const ThreadState& t : capture.threads) {
    if (t.regs_valid) ctx.slots.push_back(ThreadSlot{ctx.slots.size(), &t});
  }
  std::vector<UnwoundThread> out;
  if (ctx.slots.empty()) return out;
  Dwfl* dwfl = session.dwfl();
  // The ELF used for the backend (register layout) comes from the first module.
  if (!dwfl_attach_state(dwfl, nullptr, pid, &kThreadCallbacks, &ctx)) {
    for (const ThreadSlot& s : ctx.slots) {
      out.push_back(UnwoundThread{
          s.thread->tid, {}, std::string("cannot unwind: ") + dwfl_errmsg(-1), false});
    }
    return out;
  }
  for (const ThreadSlot& s : ctx.slots) {
    UnwoundThread ut;
    ut.tid = s.thread->tid;
    WalkState ws{&ut, options.max_frames};
    int rc = dwfl_getthread_frames(dwfl, ut.tid, on_frame, &ws);
    if (rc != 0 && ut.error.empty() && !ut.truncated) {
      // libdwfl reports how the walk ended; an ordinary end of stack is rc 0.
      ut.error = std::string("unwind stopped: ") + dwfl_errmsg(-1);
    }
    if (ut.frames.empty() && ut.error.empty()) ut.error = "no frames";
    out.push_back(std::move(ut));
  }
  return out;
}

}  // namespace corostack
