#include "snapshot/crash_info.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <string.h>

#include <algorithm>

#include "native/dwfl_session.hpp"
#include "python/python_elf_file.hpp"
#include "target/core_file.hpp"

namespace corostack {
namespace {

// Longest abort message read: glibc's buffer is a page or two.
constexpr uint32_t kMaxAbortMessage = 64 * 1024;
// How far below the stack pointer a fault still counts as overflowing the
// stack: a frame's locals are touched below it before anything else.
constexpr uint64_t kStackGuardSpan = 64 * 1024;

std::string code_text(int signo, int code, const CoreNotes& n) {
  if (code <= 0) {
    std::string how;
    switch (code) {
      case SI_USER:
        how = "kill";
        break;
      case SI_TKILL:
        how = "tkill/tgkill";
        break;
      case SI_QUEUE:
        how = "sigqueue";
        break;
      case SI_TIMER:
        return "timer expiry";
      case SI_MESGQ:
        return "message queue";
      case SI_ASYNCIO:
        return "asynchronous I/O";
      default:
        return fmt::format("si_code {}", code);
    }
    return n.siginfo_pid ? fmt::format("sent by {} from pid {}", how, *n.siginfo_pid)
                         : "sent by " + how;
  }
  if (code == SI_KERNEL) return "sent by the kernel";
  switch (signo) {
    case SIGSEGV:
      if (code == SEGV_MAPERR) return "address not mapped to object";
      if (code == SEGV_ACCERR) return "invalid permissions for mapped object";
      break;
    case SIGBUS:
      if (code == BUS_ADRALN) return "invalid address alignment";
      if (code == BUS_ADRERR) return "nonexistent physical address (e.g. past the end of a file)";
      if (code == BUS_OBJERR) return "object-specific hardware error";
      break;
    case SIGFPE:
      if (code == FPE_INTDIV) return "integer divide by zero";
      if (code == FPE_INTOVF) return "integer overflow";
      if (code == FPE_FLTDIV) return "floating-point divide by zero";
      if (code == FPE_FLTOVF) return "floating-point overflow";
      if (code == FPE_FLTUND) return "floating-point underflow";
      if (code == FPE_FLTRES) return "floating-point inexact result";
      if (code == FPE_FLTINV) return "invalid floating-point operation";
      break;
    case SIGILL:
      if (code == ILL_ILLOPC) return "illegal opcode";
      if (code == ILL_PRVOPC) return "privileged opcode";
      break;
    default:
      break;
  }
  return fmt::format("si_code {}", code);
}

std::string signal_name(int signo) {
  const char* abbrev = sigabbrev_np(signo);
  return abbrev ? std::string("SIG") + abbrev : fmt::format("signal {}", signo);
}

// A fault on an address just below the thread's stack pointer that no
// writable mapping holds: the stack ran into its guard page (threads) or its
// guard gap (the main thread). A push or a call's return address faults
// there; a large frame may touch further down, hence the span.
bool is_stack_overflow(const Target& target, const CoreFile& core, pid_t tid, uint64_t addr) {
  for (const ThreadState& t : core.threads()) {
    if (t.tid != tid || !t.regs_valid) continue;
    uint64_t sp = t.regs.rsp;
    bool near = addr <= sp ? sp - addr <= kStackGuardSpan : addr - sp <= 256;
    const MemoryMap* m = find_map(target.maps(), RemoteAddr(addr));
    return near && !(m && m->writable);
  }
  return false;
}

// glibc's `struct abort_msg_s { unsigned int size; char msg[]; } *__abort_msg`,
// found through libc's .dynsym (present without debug packages).
std::string abort_message(const Target& target) {
  for (const ModuleLoad& m : module_loads(target.maps())) {
    std::string base = m.first.path.substr(m.first.path.rfind('/') + 1);
    if (base.rfind("libc.so", 0) != 0 && base.rfind("libc-", 0) != 0) continue;
    auto elf = python::PythonElfFile::open(target.mapping_host_path(m.first));
    if (!elf || !(*elf)->first_load_vaddr()) return {};
    auto syms = (*elf)->find_symbols({"__abort_msg"});
    auto it = syms.find("__abort_msg");
    if (it == syms.end()) return {};
    uint64_t bias = m.first.start.value() - *(*elf)->first_load_vaddr();
    auto ptr = target.read_value<uint64_t>(RemoteAddr(it->second.value + bias));
    if (!ptr || *ptr == 0) return {};
    auto size = target.read_value<uint32_t>(RemoteAddr(*ptr));
    if (!size || *size <= 4) return {};
    std::string text(std::min(*size - 4, kMaxAbortMessage), '\0');
    auto r = target.read(RemoteAddr(*ptr + 4), std::as_writable_bytes(std::span(text)));
    text.resize(r.bytes);
    text.resize(std::min(text.size(), text.find('\0')));
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }
  return {};
}

}  // namespace

std::string CrashInfo::headline() const {
  return fmt::format("Program terminated with signal {}, {}.", signal_name, description);
}

std::string CrashInfo::detail() const {
  std::string s = code_text;
  if (fault_address) s += fmt::format("{}at {:#x}", s.empty() ? "" : " ", *fault_address);
  if (stack_overflow) s += s.empty() ? "stack overflow" : "; stack overflow";
  return s;
}

std::optional<CrashInfo> read_crash_info(const Target& target) {
  const auto* core = dynamic_cast<const CoreFile*>(&target);
  if (!core) return std::nullopt;
  auto sig = core->fatal_signal();
  if (!sig) return std::nullopt;
  const CoreNotes& n = core->notes();
  CrashInfo c;
  c.signo = *sig;
  c.signal_name = signal_name(c.signo);
  const char* desc = sigdescr_np(c.signo);
  c.description = desc ? desc : "unknown signal";
  c.thread = core->signalled_thread();
  if (n.siginfo_signo == c.signo && n.siginfo_code) {
    c.code = n.siginfo_code;
    c.code_text = code_text(c.signo, *n.siginfo_code, n);
    c.fault_address = n.siginfo_addr;
  }
  if (c.signo == SIGSEGV && c.fault_address)
    c.stack_overflow = is_stack_overflow(target, *core, c.thread, *c.fault_address);
  if (c.signo == SIGABRT) c.abort_message = abort_message(target);
  return c;
}

}  // namespace corostack
