#include "trace/native_stacks.hpp"

#include <elfutils/libdwfl.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "base/clock.hpp"
#include "native/dwfl_session.hpp"
#include "native/symbolizer.hpp"
#include "native/unwinder.hpp"
#include "target/live_process.hpp"

namespace corostack::trace {
namespace {

constexpr uint64_t kRefreshIntervalNs = 100'000'000;

static_assert(sizeof(user_regs_struct) == sizeof(X86_64Regs));

}  // namespace

struct NativeStacks::Process {
  std::unique_ptr<LiveProcess> proc;
  std::unique_ptr<DwflSession> session;
  std::unique_ptr<Symbolizer> symbols;
  uint64_t made_ns = 0;
};

NativeStacks::NativeStacks(size_t max_frames) : max_frames_(max_frames) {}
NativeStacks::~NativeStacks() = default;

Result<NativeStacks::Process*> NativeStacks::process(pid_t tgid, bool refresh) {
  auto& slot = processes_[tgid];
  if (slot && !(refresh && clock_ns() - slot->made_ns >= kRefreshIntervalNs)) return slot.get();
  auto proc = LiveProcess::open(tgid);
  if (!proc) return proc.error();
  auto session = DwflSession::create(**proc);
  if (!session) return session.error();
  auto p = std::make_unique<Process>();
  p->proc = std::move(*proc);
  p->session = std::move(*session);
  p->symbols = std::make_unique<Symbolizer>(*p->session, /*use_dwarf=*/false);
  p->made_ns = clock_ns();
  slot = std::move(p);
  return slot.get();
}

Result<std::vector<NativeCallFrame>> NativeStacks::stack(pid_t tgid, pid_t tid) {
  user_regs_struct regs{};
  if (::ptrace(PTRACE_GETREGS, tid, nullptr, &regs) != 0)
    return make_error(ErrorKind::kUnreadable,
                      std::string("cannot read registers: ") + std::strerror(errno));
  Capture capture;
  ThreadState ts;
  ts.tid = tid;
  ts.regs_valid = true;
  std::memcpy(&ts.regs, &regs, sizeof regs);
  capture.threads.push_back(ts);
  UnwindOptions uo;
  uo.max_frames = max_frames_;

  for (int attempt = 0; attempt < 2; ++attempt) {
    auto p = process(tgid, attempt > 0);
    if (!p) return p.error();
    Process& proc = **p;
    proc.proc->clear_cache();  // the stack changed since the last call
    auto unwound = unwind_threads(*proc.session, tgid, capture, *proc.proc, uo);
    if (unwound.empty()) return make_error(ErrorKind::kUnreadable, "no frames");
    std::vector<NativeCallFrame> out;
    bool unknown_module = false;
    for (const RawFrame& f : unwound.front().frames) {
      NativeCallFrame c;
      c.pc = f.pc;
      Dwfl_Module* mod = dwfl_addrmodule(proc.session->dwfl(), f.is_activation ? f.pc : f.pc - 1);
      Dwarf_Addr start = 0;
      const char* name =
          mod ? dwfl_module_info(mod, nullptr, &start, nullptr, nullptr, nullptr, nullptr, nullptr)
              : nullptr;
      if (name && f.pc >= start) {
        c.module = name;
        c.module_offset = f.pc - start;
        const std::vector<SymbolFrame>& sym = proc.symbols->symbolize(f.pc, f.is_activation);
        if (!sym.empty() && sym.back().function && sym.back().offset) {
          c.function = sym.back().function;
          c.function_offset = *sym.back().offset;
        }
      } else {
        unknown_module = true;
      }
      out.push_back(std::move(c));
    }
    if (out.empty() && !unwound.front().error.empty())
      return make_error(ErrorKind::kUnreadable, unwound.front().error);
    if (!unknown_module || attempt > 0) return out;
  }
  return make_error(ErrorKind::kUnreadable, "no frames");
}

void NativeStacks::forget(pid_t tgid) {
  processes_.erase(tgid);
}

}  // namespace corostack::trace
