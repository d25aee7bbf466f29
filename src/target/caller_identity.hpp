#pragma once
// Who asked: the user who ran corostack, as opposed to the privileges the
// binary may carry (file capabilities such as `setcap cap_sys_ptrace+ep`, or a
// setuid bit). Capabilities may lift the ptrace scope, never the user boundary:
// when corostack runs with more privilege than its caller ("secure mode"), it
// becomes the caller at start-up (real, effective, saved and filesystem ids)
// and keeps at most the capability that lets it trace the caller's own
// processes under Yama's ptrace_scope; everything it then opens or creates is
// opened or created with the caller's rights. See access_policy.hpp for which
// processes it may inspect.
#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.hpp"

namespace corostack {

struct CallerIdentity {
  uid_t uid = 0;  // the caller's real ids
  gid_t gid = 0;
  // Started with more privilege than the caller (AT_SECURE, or real and
  // effective ids differed) and the caller is not root.
  bool secure = false;
  // CAP_SYS_PTRACE kept because Yama's ptrace_scope needs it to reach
  // processes that are not our descendants.
  bool kept_ptrace_capability = false;
};

// Called first thing in main(), before any file is opened. In secure mode:
// switches every uid and gid to the caller's real ones, keeps CAP_SYS_PTRACE
// only when Yama restricts ptrace (nothing else, and nothing inheritable), and
// removes from the environment what would change behaviour (debuginfod, XDG
// caches, test-only variables). An error here is fatal: corostack must not run
// half-privileged.
Status enter_caller_identity();

// What enter_caller_identity() found (the real ids of this process if it was
// never called, as in unit tests).
const CallerIdentity& caller_identity();

// getenv for variables that change behaviour: nullptr in secure mode.
const char* trusted_getenv(const char* name);

// The environment `-- CMD` runs with: the caller's, as it was before secure
// mode scrubbed corostack's own (glibc's removals for AT_SECURE excepted).
// Built once by enter_caller_identity(), so a child after fork() allocates nothing.
char** environment_for_commands();

// In a child between fork() and exec: no capabilities at all, none to inherit,
// none ambient, so the command runs with the caller's credentials only; and
// dumpable again, so the caller's own tracer may attach to it.
// Async-signal-safe (raw system calls). Returns false if it could not.
bool drop_all_capabilities_in_child();

// Whether an environment variable is one secure mode removes (exposed for tests).
bool is_behaviour_changing_variable(const std::string& name);

}  // namespace corostack
