#include "native/syscalls.hpp"

#include <string_view>
#include <unordered_map>

namespace corostack {
namespace {

struct NameEntry {
  int nr;
  const char* name;
};
constexpr NameEntry kNames[] = {
#include "native/syscall_table.inc"
};

// Argument counts of the calls threads are usually found blocked in; others
// show all six registers.
const std::unordered_map<std::string_view, int>& arg_counts() {
  static const std::unordered_map<std::string_view, int> m = {
      {"read", 3},
      {"write", 3},
      {"pread64", 4},
      {"pwrite64", 4},
      {"readv", 3},
      {"writev", 3},
      {"poll", 3},
      {"ppoll", 5},
      {"select", 5},
      {"pselect6", 6},
      {"epoll_wait", 4},
      {"epoll_pwait", 6},
      {"epoll_pwait2", 6},
      {"nanosleep", 2},
      {"clock_nanosleep", 4},
      {"futex", 6},
      {"accept", 3},
      {"accept4", 4},
      {"connect", 3},
      {"recvfrom", 6},
      {"recvmsg", 3},
      {"sendto", 6},
      {"sendmsg", 3},
      {"wait4", 4},
      {"waitid", 5},
      {"pause", 0},
      {"rt_sigsuspend", 2},
      {"rt_sigtimedwait", 4},
      {"msgrcv", 5},
      {"semop", 3},
      {"io_getevents", 5},
      {"io_uring_enter", 6},
      {"flock", 2},
      {"fcntl", 3},
      {"ioctl", 3},
      {"openat", 4},
      {"sched_yield", 0},
      {"restart_syscall", 0},
      {"getrandom", 3},
      {"close", 1},
      {"fsync", 1},
  };
  return m;
}

// Values a syscall returns when interrupted by a stop and about to restart.
bool is_restart_code(uint64_t rax) {
  auto v = static_cast<int64_t>(rax);
  return v == -512 || v == -513 || v == -514 || v == -516 || v == -4 /* EINTR */;
}

}  // namespace

std::string syscall_name(int64_t nr) {
  // The table is sorted by number; numbers are dense enough to search linearly once.
  static const std::unordered_map<int64_t, std::string_view> by_nr = [] {
    std::unordered_map<int64_t, std::string_view> m;
    for (const auto& e : kNames) m.emplace(e.nr, e.name);
    return m;
  }();
  auto it = by_nr.find(nr);
  return it == by_nr.end() ? std::string() : std::string(it->second);
}

std::optional<SyscallInfo> blocked_syscall(const X86_64Regs& regs, char state) {
  auto nr = static_cast<int64_t>(regs.orig_rax);
  if (nr < 0 || nr > 4096) return std::nullopt;  // interrupt entry or garbage: user code
  bool blocked_state = state == 'S' || state == 'D';
  if (!blocked_state && !is_restart_code(regs.rax)) return std::nullopt;
  SyscallInfo info;
  info.nr = nr;
  info.name = syscall_name(nr);
  if (info.name.empty()) info.name = "syscall_" + std::to_string(nr);
  const uint64_t all[6] = {regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9};
  int count = 6;
  if (auto it = arg_counts().find(info.name); it != arg_counts().end()) count = it->second;
  info.args.assign(all, all + count);
  return info;
}

bool first_arg_is_fd(int64_t nr) {
  switch (nr) {
    case 0:    // read
    case 1:    // write
    case 16:   // ioctl
    case 17:   // pread64
    case 18:   // pwrite64
    case 19:   // readv
    case 20:   // writev
    case 42:   // connect
    case 43:   // accept
    case 44:   // sendto
    case 45:   // recvfrom
    case 46:   // sendmsg
    case 47:   // recvmsg
    case 72:   // fcntl
    case 73:   // flock
    case 74:   // fsync
    case 75:   // fdatasync
    case 232:  // epoll_wait
    case 281:  // epoll_pwait
    case 288:  // accept4
    case 295:  // preadv
    case 296:  // pwritev
    case 299:  // recvmmsg
    case 307:  // sendmmsg
    case 441:  // epoll_pwait2
      return true;
    default:
      return false;
  }
}

}  // namespace corostack
