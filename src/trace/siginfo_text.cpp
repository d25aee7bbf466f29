#include "trace/siginfo_text.hpp"

#include <fmt/format.h>

#include "trace/syscall_table.hpp"

namespace corostack::trace {
namespace {

// si_code values that say who sent it, common to every signal.
const char* generic_code(int code) {
  switch (code) {
    case SI_USER:
      return "SI_USER";
    case SI_KERNEL:
      return "SI_KERNEL";
    case SI_QUEUE:
      return "SI_QUEUE";
    case SI_TIMER:
      return "SI_TIMER";
    case SI_MESGQ:
      return "SI_MESGQ";
    case SI_ASYNCIO:
      return "SI_ASYNCIO";
    case SI_SIGIO:
      return "SI_SIGIO";
    case SI_TKILL:
      return "SI_TKILL";
    default:
      return nullptr;
  }
}

const char* chld_code(int code) {
  switch (code) {
    case CLD_EXITED:
      return "CLD_EXITED";
    case CLD_KILLED:
      return "CLD_KILLED";
    case CLD_DUMPED:
      return "CLD_DUMPED";
    case CLD_TRAPPED:
      return "CLD_TRAPPED";
    case CLD_STOPPED:
      return "CLD_STOPPED";
    case CLD_CONTINUED:
      return "CLD_CONTINUED";
    default:
      return nullptr;
  }
}

const char* fault_code(int sig, int code) {
  if (sig == SIGSEGV) {
    switch (code) {
      case SEGV_MAPERR:
        return "SEGV_MAPERR";
      case SEGV_ACCERR:
        return "SEGV_ACCERR";
      default:
        return nullptr;
    }
  }
  if (sig == SIGBUS) {
    switch (code) {
      case BUS_ADRALN:
        return "BUS_ADRALN";
      case BUS_ADRERR:
        return "BUS_ADRERR";
      case BUS_OBJERR:
        return "BUS_OBJERR";
      default:
        return nullptr;
    }
  }
  if (sig == SIGFPE) {
    switch (code) {
      case FPE_INTDIV:
        return "FPE_INTDIV";
      case FPE_INTOVF:
        return "FPE_INTOVF";
      case FPE_FLTDIV:
        return "FPE_FLTDIV";
      default:
        return nullptr;
    }
  }
  if (sig == SIGILL) {
    switch (code) {
      case ILL_ILLOPC:
        return "ILL_ILLOPC";
      case ILL_ILLOPN:
        return "ILL_ILLOPN";
      default:
        return nullptr;
    }
  }
  return nullptr;
}

std::string address(const void* p) {
  return p ? fmt::format("{}", p) : "NULL";
}

}  // namespace

std::string siginfo_text(const siginfo_t& si) {
  std::string s = "{si_signo=" + signal_name(si.si_signo) + ", si_code=";
  const char* code = generic_code(si.si_code);
  bool from_process = si.si_code <= 0 && si.si_code != SI_KERNEL;
  if (!code && si.si_code > 0) {
    code = si.si_signo == SIGCHLD ? chld_code(si.si_code) : fault_code(si.si_signo, si.si_code);
  }
  s += code ? code : std::to_string(si.si_code);
  if (si.si_signo == SIGCHLD && si.si_code > 0) {
    std::string status =
        si.si_code == CLD_EXITED ? std::to_string(si.si_status) : signal_name(si.si_status);
    s += fmt::format(", si_pid={}, si_uid={}, si_status={}, si_utime={}, si_stime={}", si.si_pid,
                     si.si_uid, status, si.si_utime, si.si_stime);
  } else if (from_process) {
    s += fmt::format(", si_pid={}, si_uid={}", si.si_pid, si.si_uid);
    if (si.si_code == SI_QUEUE || si.si_code == SI_TIMER)
      s += fmt::format(", si_int={}, si_ptr={}", si.si_int, address(si.si_ptr));
  } else if (si.si_signo == SIGSEGV || si.si_signo == SIGBUS || si.si_signo == SIGFPE ||
             si.si_signo == SIGILL || si.si_signo == SIGTRAP) {
    s += ", si_addr=" + address(si.si_addr);
  }
  return s + "}";
}

}  // namespace corostack::trace
