#pragma once
// A signal's siginfo as strace prints it after "--- SIGCHLD ":
// "{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=17104, si_uid=0, si_status=0,
// si_utime=0, si_stime=0}".
#include <signal.h>

#include <string>

namespace corostack::trace {

std::string siginfo_text(const siginfo_t& si);

}  // namespace corostack::trace
