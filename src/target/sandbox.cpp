#include "target/sandbox.hpp"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "target/caller_identity.hpp"
#include "target/proc_fs.hpp"

#ifndef PTRACE_GET_SYSCALL_INFO
#define PTRACE_GET_SYSCALL_INFO 0x420e
#endif

namespace corostack {
namespace {

constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;
constexpr uint32_t kRefuse = SECCOMP_RET_ERRNO | EPERM;
constexpr uint32_t kNoSuchCall = SECCOMP_RET_ERRNO | ENOSYS;

bool g_active = false;

uint32_t arg_low(int i) {
  return static_cast<uint32_t>(offsetof(seccomp_data, args) + 8 * static_cast<size_t>(i));
}
uint32_t arg_high(int i) {
  return arg_low(i) + 4;
}

sock_filter stmt(uint16_t code, uint32_t k) {
  return BPF_STMT(code, k);
}
sock_filter jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
  return BPF_JUMP(code, k, jt, jf);
}

// A linear program: each rule tests the call number (left in the accumulator
// by the prologue) and, if it matches, decides; rules that look at arguments
// always return, so the number is still in the accumulator for the next rule.
class FilterBuilder {
 public:
  FilterBuilder() {
    code_.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
    code_.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
    code_.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
    code_.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    // x32 numbers (bit 30) would alias the 64-bit ones below.
    code_.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1));
    code_.push_back(stmt(BPF_RET | BPF_K, kRefuse));
  }

  void allow(std::initializer_list<long> nrs) {
    for (long nr : nrs) decide(nr, kAllow);
  }
  void decide(long nr, uint32_t action) {
    code_.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1));
    code_.push_back(stmt(BPF_RET | BPF_K, action));
  }
  // Allowed when none of `mask`'s bits is set in the argument's low word.
  void allow_without_bits(long nr, int arg, uint32_t mask) { decide_on_bits(nr, arg, mask, false); }
  // Allowed when one of `mask`'s bits is set.
  void allow_with_bits(long nr, int arg, uint32_t mask) { decide_on_bits(nr, arg, mask, true); }
  // Allowed when the argument's low word is one of `values`.
  void allow_values(long nr, int arg, const std::vector<uint32_t>& values) {
    auto n = static_cast<uint8_t>(values.size());
    code_.push_back(
        jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, static_cast<uint8_t>(n + 3)));
    code_.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, arg_low(arg)));
    for (uint8_t i = 0; i < n; ++i)
      code_.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, values[i], static_cast<uint8_t>(n - i), 0));
    code_.push_back(stmt(BPF_RET | BPF_K, kRefuse));
    code_.push_back(stmt(BPF_RET | BPF_K, kAllow));
  }
  // Allowed when two argument words have the given values.
  void allow_pair(long nr, uint32_t off_a, uint32_t value_a, uint32_t off_b, uint32_t value_b) {
    code_.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 6));
    code_.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, off_a));
    code_.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, value_a, 0, 3));
    code_.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, off_b));
    code_.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, value_b, 0, 1));
    code_.push_back(stmt(BPF_RET | BPF_K, kAllow));
    code_.push_back(stmt(BPF_RET | BPF_K, kRefuse));
  }

  std::vector<sock_filter> finish() {
    code_.push_back(stmt(BPF_RET | BPF_K, kRefuse));
    return code_;
  }

 private:
  void decide_on_bits(long nr, int arg, uint32_t mask, bool allow_when_set) {
    code_.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 4));
    code_.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, arg_low(arg)));
    // JSET jumps when a bit is set: to the allow (jt 0) or to the refusal (jt 1).
    code_.push_back(
        jump(BPF_JMP | BPF_JSET | BPF_K, mask, allow_when_set ? 0 : 1, allow_when_set ? 1 : 0));
    code_.push_back(stmt(BPF_RET | BPF_K, kAllow));
    code_.push_back(stmt(BPF_RET | BPF_K, kRefuse));
  }

  std::vector<sock_filter> code_;
};

std::vector<sock_filter> build_filter(const SandboxOptions& options) {
  FilterBuilder f;
  // The hot calls first: the filter runs on every system call.
  f.allow({SYS_process_vm_readv,
           SYS_read,
           SYS_pread64,
           SYS_readv,
           SYS_preadv,
           SYS_close,
           SYS_newfstatat,
           SYS_fstat,
           SYS_statx,
           SYS_lseek,
           SYS_futex,
           SYS_munmap,
           SYS_brk,
           SYS_write,
           SYS_writev,
           SYS_pwrite64,
           SYS_pwritev,
           SYS_getdents64,
           SYS_readlink,
           SYS_readlinkat});
  // O_TMPFILE's own bit (glibc's __O_TMPFILE also carries O_DIRECTORY, which
  // opening a directory to list it needs).
  constexpr uint32_t kTmpfileBit = 020000000;
  constexpr uint32_t kWriteOpen = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | kTmpfileBit;
  f.allow_without_bits(SYS_openat, 2, kWriteOpen);
  f.allow_without_bits(SYS_open, 1, kWriteOpen);
  f.allow_without_bits(SYS_mmap, 2, PROT_EXEC);
  f.allow_without_bits(SYS_mprotect, 2, PROT_EXEC);
  // Stopping and reading threads, never writing to them.
  f.allow_values(
      SYS_ptrace, 0,
      {PTRACE_SEIZE, PTRACE_INTERRUPT, PTRACE_GETREGS, PTRACE_GETFPREGS, PTRACE_GETREGSET,
       PTRACE_GETSIGINFO, PTRACE_GETEVENTMSG, PTRACE_PEEKDATA, PTRACE_PEEKTEXT, PTRACE_PEEKUSER,
       PTRACE_GET_SYSCALL_INFO, PTRACE_CONT, PTRACE_SYSCALL, PTRACE_LISTEN, PTRACE_DETACH});
  // Timers signal only this process (trace's -d, the pacer).
  f.allow({SYS_setitimer, SYS_getitimer, SYS_alarm, SYS_timer_create, SYS_timer_settime,
           SYS_timer_gettime, SYS_timer_delete, SYS_timerfd_create, SYS_timerfd_settime,
           SYS_timerfd_gettime});
  f.allow({SYS_wait4,
           SYS_waitid,
           SYS_mremap,
           SYS_madvise,
           SYS_memfd_create,
           SYS_ftruncate,
           SYS_fcntl,
           SYS_dup,
           SYS_dup3,
           SYS_pipe2,
           SYS_access,
           SYS_faccessat,
           SYS_faccessat2,
           SYS_getcwd,
           SYS_fadvise64,
           SYS_poll,
           SYS_ppoll,
           SYS_select,
           SYS_pselect6,
           SYS_nanosleep,
           SYS_clock_nanosleep,
           SYS_clock_gettime,
           SYS_clock_getres,
           SYS_gettimeofday,
           SYS_times,
           SYS_getrusage,
           SYS_sysinfo,
           SYS_uname,
           SYS_getpid,
           SYS_gettid,
           SYS_getppid,
           SYS_getuid,
           SYS_geteuid,
           SYS_getgid,
           SYS_getegid,
           SYS_getresuid,
           SYS_getresgid,
           SYS_getgroups,
           SYS_getrandom,
           SYS_sched_yield,
           SYS_sched_getaffinity,
           SYS_set_robust_list,
           SYS_get_robust_list,
           SYS_rseq,
           SYS_set_tid_address,
           SYS_rt_sigaction,
           SYS_rt_sigprocmask,
           SYS_rt_sigreturn,
           SYS_sigaltstack,
           SYS_restart_syscall,
           SYS_exit,
           SYS_exit_group,
           SYS_arch_prctl});
  // Threads, never processes; clone3's flags are behind a pointer, so glibc
  // is told it does not exist and falls back to clone.
  f.allow_with_bits(SYS_clone, 0, CLONE_THREAD);
  f.decide(SYS_clone3, kNoSuchCall);
  // Reading limits, never setting them.
  f.allow_pair(SYS_prlimit64, arg_low(2), 0, arg_high(2), 0);
  f.allow({SYS_getrlimit});
  // Terminal state and size (top), never TIOCSTI.
  f.allow_values(SYS_ioctl, 1, {TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, FIONREAD});
  // Extended attributes, read only: a socket fd's protocol name
  // (system.sockprotoname) for `trace -yy`.
  f.allow({SYS_getxattr, SYS_lgetxattr, SYS_fgetxattr});
  // A sock_diag query names a UNIX socket's peer; no other socket.
  f.allow_pair(SYS_socket, arg_low(0), AF_NETLINK, arg_low(2), NETLINK_SOCK_DIAG);
  f.allow({SYS_sendto, SYS_sendmsg, SYS_recvfrom, SYS_recvmsg, SYS_setsockopt, SYS_getsockopt});
  // Signals to ourselves (abort) and to our own `-- CMD` child.
  auto self = static_cast<uint32_t>(::getpid());
  f.allow_values(SYS_tgkill, 0, {self});
  std::vector<uint32_t> killable{self};
  if (options.child > 0) killable.push_back(static_cast<uint32_t>(options.child));
  if (options.signal_any_process)
    f.allow({SYS_kill});
  else
    f.allow_values(SYS_kill, 0, killable);
  if (options.bpf_maps) {
    f.allow_values(
        SYS_bpf, 0,
        {BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM, BPF_MAP_GET_NEXT_KEY,
         BPF_OBJ_GET_INFO_BY_FD, BPF_MAP_LOOKUP_AND_DELETE_ELEM, BPF_MAP_LOOKUP_BATCH});
    f.allow({SYS_epoll_create1, SYS_epoll_ctl, SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_pwait2});
  }
  return f.finish();
}

// Test hook: what a parser taken over by hostile input could still do.
void probe_for_tests() {
  if (!trusted_getenv("COROSTACK_TEST_SANDBOX_PROBE")) return;
  std::string out;
  auto status = read_text_file("/proc/self/status", 1 << 16);
  size_t p = status ? status->find("\nSeccomp:") : std::string::npos;
  out += "sandbox probe: seccomp mode " +
         (p == std::string::npos ? std::string("?") : status->substr(p + 10, 1)) + "\n";
  auto verdict = [](const char* what, long rc) {
    return std::string("sandbox probe: ") + what + " " +
           (rc >= 0 ? std::string("allowed")
                    : std::string("refused (") + std::strerror(errno) + ")") +
           "\n";
  };
  char* const argv[] = {const_cast<char*>("/bin/true"), nullptr};
  out += verdict("execve", ::execve("/bin/true", argv, environ));
  long s = ::socket(AF_INET, SOCK_STREAM, 0);
  out += verdict("socket", s);
  if (s >= 0) ::close(static_cast<int>(s));
  long o = ::open("/tmp/corostack-sandbox-probe", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  out += verdict("open-for-write", o);
  if (o >= 0) ::close(static_cast<int>(o));
  long r = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  out += verdict("open-for-read", r);
  if (r >= 0) ::close(static_cast<int>(r));
  (void)!::write(2, out.data(), out.size());
}

}  // namespace

Status enter_analysis_sandbox(const SandboxOptions& options) {
  if (g_active) return ok_status();
  if (const char* off = trusted_getenv("COROSTACK_NO_SANDBOX"); off && std::strcmp(off, "1") == 0)
    return ok_status();
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return make_error(ErrorKind::kUnsupported, std::string("no sandbox (PR_SET_NO_NEW_PRIVS: ") +
                                                   std::strerror(errno) + ")");
  std::vector<sock_filter> code = build_filter(options);
  sock_fprog program{static_cast<unsigned short>(code.size()), code.data()};
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &program) != 0)
    return make_error(ErrorKind::kUnsupported,
                      std::string("no sandbox (seccomp: ") + std::strerror(errno) + ")");
  g_active = true;
  probe_for_tests();
  return ok_status();
}

bool sandbox_active() {
  return g_active;
}

}  // namespace corostack
