#include "target/caller_identity.hpp"

#include <linux/capability.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "target/proc_fs.hpp"

extern char** environ;

namespace corostack {
namespace {

CallerIdentity& identity_storage() {
  static CallerIdentity id{::getuid(), ::getgid(), false, false};
  return id;
}

std::vector<std::string>& environment_storage() {
  static std::vector<std::string> env;
  return env;
}

std::vector<char*>& environment_pointers() {
  static std::vector<char*> pointers;
  return pointers;
}

struct CapabilitySets {
  uint64_t effective = 0;
  uint64_t permitted = 0;
  uint64_t inheritable = 0;
};

// Raw capget/capset (libcap is not a dependency); version 3 has two 32-bit words.
bool read_capabilities(CapabilitySets& out) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  auto join = [&](uint32_t __user_cap_data_struct::*m) {
    return uint64_t{data[0].*m} | (uint64_t{data[1].*m} << 32);
  };
  out.effective = join(&__user_cap_data_struct::effective);
  out.permitted = join(&__user_cap_data_struct::permitted);
  out.inheritable = join(&__user_cap_data_struct::inheritable);
  return true;
}

bool write_capabilities(const CapabilitySets& sets) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = static_cast<uint32_t>(sets.effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(sets.permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(sets.inheritable >> (32 * i));
  }
  return ::syscall(SYS_capset, &header, data) == 0;
}

// Yama's ptrace_scope 1 and 2 refuse ptrace of non-descendants without
// CAP_SYS_PTRACE; 0 (or no Yama) needs nothing beyond the same user; 3 allows
// nothing at all.
bool yama_needs_ptrace_capability() {
  auto text = read_text_file("/proc/sys/kernel/yama/ptrace_scope", 64);
  if (!text || text->empty()) return false;
  return (*text)[0] == '1' || (*text)[0] == '2';
}

bool started_with_more_privilege() {
  return ::getauxval(AT_SECURE) != 0 || ::getuid() != ::geteuid() || ::getgid() != ::getegid();
}

Error identity_error(const std::string& what) {
  return make_error(ErrorKind::kPermission,
                    "cannot give up privileges (" + what + ": " + std::strerror(errno) +
                        "); refusing to run with more rights than the caller");
}

}  // namespace

bool is_behaviour_changing_variable(const std::string& name) {
  // debuginfod downloads and its cache, XDG cache locations elfutils honours,
  // and corostack's own test-only fault injection.
  for (const char* prefix : {"DEBUGINFOD_", "XDG_", "COROSTACK_"})
    if (name.rfind(prefix, 0) == 0) return true;
  return false;
}

Status enter_caller_identity() {
  CallerIdentity& id = identity_storage();
  id.uid = ::getuid();
  id.gid = ::getgid();
  std::vector<std::string>& env = environment_storage();
  env.clear();
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  std::vector<char*>& pointers = environment_pointers();
  pointers.clear();
  for (std::string& e : env) pointers.push_back(e.data());
  pointers.push_back(nullptr);
  // Root may inspect anything: nothing to give up.
  id.secure = id.uid != 0 && started_with_more_privilege();
  if (!id.secure) return ok_status();

  uid_t ruid = id.uid;
  gid_t rgid = id.gid;
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return identity_error("PR_SET_KEEPCAPS");
  if (::setresgid(rgid, rgid, rgid) != 0) return identity_error("setresgid");
  if (::setresuid(ruid, ruid, ruid) != 0) return identity_error("setresuid");
  (void)::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);

  CapabilitySets caps;
  if (!read_capabilities(caps)) return identity_error("capget");
  constexpr uint64_t kPtrace = uint64_t{1} << CAP_SYS_PTRACE;
  CapabilitySets kept;
  if (yama_needs_ptrace_capability() && (caps.permitted & kPtrace)) {
    kept.permitted = kept.effective = kPtrace;
    id.kept_ptrace_capability = true;
  }
  if (!write_capabilities(kept)) return identity_error("capset");
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return identity_error("clearing ambient capabilities");

  // Check rather than trust: every id is the caller's, no other capability left.
  uid_t r, e, s;
  gid_t gr, ge, gs;
  CapabilitySets now;
  if (::getresuid(&r, &e, &s) != 0 || r != ruid || e != ruid || s != ruid ||
      ::getresgid(&gr, &ge, &gs) != 0 || gr != rgid || ge != rgid || gs != rgid ||
      !read_capabilities(now) || now.permitted != kept.permitted || now.inheritable != 0) {
    errno = EPERM;
    return identity_error("checking the result");
  }

  for (const std::string& entry : env) {
    std::string name = entry.substr(0, entry.find('='));
    if (is_behaviour_changing_variable(name)) ::unsetenv(name.c_str());
  }
  return ok_status();
}

const CallerIdentity& caller_identity() {
  return identity_storage();
}

const char* trusted_getenv(const char* name) {
  return identity_storage().secure ? nullptr : std::getenv(name);
}

char** environment_for_commands() {
  if (!identity_storage().secure || environment_pointers().empty()) return environ;
  return environment_pointers().data();
}

bool drop_all_capabilities_in_child() {
  // Root's commands keep root's rights; only a privileged binary's extra
  // capabilities must not reach the caller's command.
  if (!identity_storage().secure) return true;
  if (!write_capabilities(CapabilitySets{})) return false;
  (void)::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  // Becoming the caller left corostack non-dumpable, and the child inherits
  // that until its exec: the caller's tracer (trace -- CMD, without
  // capabilities) could not attach to it. It holds nothing of a target yet.
  (void)::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  return true;
}

}  // namespace corostack
