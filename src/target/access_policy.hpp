#pragma once
// Which processes the caller may inspect. Without extra privilege the kernel
// decides (ptrace_may_access); when corostack carries capabilities or a setuid
// bit (secure mode, caller_identity.hpp) it applies, with the caller's own
// credentials, the checks the kernel would make without them: the target's
// real, effective, saved and filesystem uids and gids are all the caller's,
// it is dumpable, and it holds no capabilities (it gained none across exec).
// Root may inspect anything. Checked when a target is opened and again after
// each capture, so a process that execs a setuid program meanwhile is refused.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.hpp"

namespace corostack {

struct ProcessCredentials {
  uid_t uids[4]{};  // real, effective, saved, filesystem (/proc/PID/status "Uid:")
  gid_t gids[4]{};
  uint64_t permitted_capabilities = 0;  // "CapPrm:"
  // Owner of /proc/PID/mem: the effective uid while the process is dumpable,
  // root when it is not (the kernel's task_dump_owner).
  uid_t dump_owner = 0;
};

Result<ProcessCredentials> read_process_credentials(pid_t pid);

// Parses /proc/PID/status text (uids, gids, CapPrm); dump_owner is left 0.
Result<ProcessCredentials> parse_status_credentials(const std::string& status_text);

// Why a caller with these real ids may not inspect the process, naming the
// rule; nullopt when it may.
std::optional<std::string> inspection_refusal(const ProcessCredentials& target, uid_t caller_uid,
                                              gid_t caller_gid);

// ok, or a kPermission error of one line naming the rule. Does nothing
// unless corostack runs in secure mode.
Status check_may_inspect(pid_t pid);

}  // namespace corostack
