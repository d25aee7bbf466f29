#pragma once
// Signal names as strace prints them (x86-64: 1-31 classic, 32 SIGRTMIN,
// 33-64 SIGRT_1..SIGRT_32) and signal masks ("[INT TERM]", "~[KILL]").
#include <cstdint>
#include <string>

namespace corostack::trace {

// A 64-signal mask, bit (sig - 1) for sig 1..64, as the kernel's sigset_t.
// strace prints the complement "~[...]" when more than half the bits are set.
std::string format_sigmask(uint64_t mask);
// "SIGTERM", or the plain number for 0 and anything past 64 (as strace does).
std::string signal_arg(int64_t sig);

}  // namespace corostack::trace

#include "trace/xlat_core.hpp"

namespace corostack::trace {

inline constexpr Xlat kSigactionFlags[] = {
    {0x04000000, "SA_RESTORER"},
    {0x08000000, "SA_ONSTACK"},
    {0x10000000, "SA_RESTART"},
    {0x20000000, "SA_INTERRUPT"},
    {0x40000000, "SA_NODEFER"},
    {0x80000000, "SA_RESETHAND"},
    {4, "SA_SIGINFO"},
    {1, "SA_NOCLDSTOP"},
    {2, "SA_NOCLDWAIT"},
    {0x400, "SA_UNSUPPORTED"},
    {0x800, "SA_EXPOSE_TAGBITS"},
};
inline constexpr Xlat kSigprocmaskHow[] = {
    {0, "SIG_BLOCK"}, {1, "SIG_UNBLOCK"}, {2, "SIG_SETMASK"}};

}  // namespace corostack::trace
