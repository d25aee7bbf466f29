#pragma once
// Files corostack writes for its caller (`record -o`, `trace -o`; `gcore -o`
// goes through CoreOutputFile, which renames a fresh file into place). Shared
// directories such as /tmp are where another user can plant a name first, so:
//  - a new file is created exclusively, never through a symbolic link;
//  - a symbolic link already there is followed only when the caller or the
//    directory's owner made it, or the directory is not shared (not sticky and
//    world-writable): the kernel's protected_symlinks rule, whatever the sysctl
//    says;
//  - an existing regular file is written only if the caller owns it (root's
//    output never lands in a file another user can read back);
//  - devices and pipes (`-o /dev/null`, a FIFO) are written as they are.
// Everything is created with the caller's ids (caller_identity.hpp).
#include <sys/types.h>

#include <string>

#include "base/result.hpp"

namespace corostack {

// An open, writable fd (O_CLOEXEC) positioned at 0 and truncated if it is a
// regular file; created with `mode` (before the umask) when new.
Result<int> open_output_file(const std::string& path, mode_t mode);

}  // namespace corostack
