#pragma once
// Names the file descriptor each blocked thread's system call works on
// (`read(4<pipe:[88213]>, …)`), with a namer the caller supplies: live
// processes through /proc (trace/proc_fd_names, what `strace -yy` shows).
#include <sys/types.h>

#include <functional>
#include <string>

#include "snapshot/snapshot.hpp"

namespace corostack {

using FdNamer = std::function<std::string(pid_t tid, int fd)>;

// Sets SyscallInfo::fd_name for every thread blocked in a call whose first
// argument is an fd.
void name_blocked_fds(ProcessSnapshot& snap, const FdNamer& namer);

}  // namespace corostack
