#include "native/syscalls.hpp"

#include <gtest/gtest.h>

namespace corostack {
namespace {

X86_64Regs regs(int64_t orig_rax, int64_t rax) {
  X86_64Regs r{};
  r.orig_rax = static_cast<uint64_t>(orig_rax);
  r.rax = static_cast<uint64_t>(rax);
  r.rdi = 3, r.rsi = 0x1000, r.rdx = 1, r.r10 = 4, r.r8 = 5, r.r9 = 6;
  return r;
}

TEST(Syscalls, NamesFromTheKernelTable) {
  EXPECT_EQ(syscall_name(0), "read");
  EXPECT_EQ(syscall_name(202), "futex");
  EXPECT_EQ(syscall_name(232), "epoll_wait");
  EXPECT_EQ(syscall_name(99999), "");
}

TEST(Syscalls, BlockedThreadShowsCallAndItsArguments) {
  auto sc = blocked_syscall(regs(0, -512), 'S');
  ASSERT_TRUE(sc);
  EXPECT_EQ(sc->name, "read");
  EXPECT_EQ(sc->args, (std::vector<uint64_t>{3, 0x1000, 1}));
}

TEST(Syscalls, CoresHaveNoStateButRestartCodesTell) {
  // A core records no scheduler state; an interrupted call returns -ERESTART*.
  auto sc = blocked_syscall(regs(7, -516), '?');
  ASSERT_TRUE(sc);
  EXPECT_EQ(sc->name, "poll");
  EXPECT_FALSE(blocked_syscall(regs(7, 1), '?'));  // it had returned: running user code
}

TEST(Syscalls, UserCodeAndGarbageAreNotSyscalls) {
  EXPECT_FALSE(blocked_syscall(regs(-1, 0), 'R'));        // interrupt entry, not a syscall
  EXPECT_FALSE(blocked_syscall(regs(0, 5), 'R'));         // returned from read, running
  EXPECT_FALSE(blocked_syscall(regs(1 << 20, -4), 'S'));  // no such call number
  auto unknown = blocked_syscall(regs(4000, -4), 'S');
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->name, "syscall_4000");
  EXPECT_EQ(unknown->args.size(), 6u);
}

}  // namespace
}  // namespace corostack
