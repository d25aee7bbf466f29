#include "snapshot/fd_names.hpp"

namespace corostack {

void name_blocked_fds(ProcessSnapshot& snap, const FdNamer& namer) {
  if (!namer) return;
  for (ThreadSnapshot& t : snap.threads) {
    if (!t.syscall || t.syscall->args.empty() || !first_arg_is_fd(t.syscall->nr)) continue;
    uint64_t fd = t.syscall->args[0];
    if (fd > 0x7fffffff) continue;  // not a descriptor (a 32-bit int in the call)
    t.syscall->fd_name = namer(t.tid, static_cast<int>(fd));
  }
}

}  // namespace corostack
