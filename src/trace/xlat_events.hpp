#pragma once
// Readiness, event-fd, clock and futex constants (strace's name order).
#include "trace/xlat_core.hpp"

namespace corostack::trace {

inline constexpr Xlat kPollEvents[] = {
    {0x1, "POLLIN"},       {0x2, "POLLPRI"},      {0x4, "POLLOUT"},     {0x8, "POLLERR"},
    {0x10, "POLLHUP"},     {0x20, "POLLNVAL"},    {0x40, "POLLRDNORM"}, {0x80, "POLLRDBAND"},
    {0x100, "POLLWRNORM"}, {0x200, "POLLWRBAND"}, {0x400, "POLLMSG"},   {0x1000, "POLLREMOVE"},
    {0x2000, "POLLRDHUP"},
};
inline constexpr Xlat kEpollEvents[] = {
    {0x1, "EPOLLIN"},
    {0x2, "EPOLLPRI"},
    {0x4, "EPOLLOUT"},
    {0x8, "EPOLLERR"},
    {0x10, "EPOLLHUP"},
    {0x20, "EPOLLNVAL"},
    {0x40, "EPOLLRDNORM"},
    {0x80, "EPOLLRDBAND"},
    {0x100, "EPOLLWRNORM"},
    {0x200, "EPOLLWRBAND"},
    {0x400, "EPOLLMSG"},
    {0x2000, "EPOLLRDHUP"},
    {0x10000000, "EPOLLEXCLUSIVE"},
    {0x20000000, "EPOLLWAKEUP"},
    {0x40000000, "EPOLLONESHOT"},
    {0x80000000, "EPOLLET"},
};
inline constexpr Xlat kEpollCtlOps[] = {
    {1, "EPOLL_CTL_ADD"}, {2, "EPOLL_CTL_DEL"}, {3, "EPOLL_CTL_MOD"}};
inline constexpr Xlat kEpollCreateFlags[] = {{02000000, "EPOLL_CLOEXEC"}};
inline constexpr Xlat kEventfdFlags[] = {
    {1, "EFD_SEMAPHORE"}, {02000000, "EFD_CLOEXEC"}, {04000, "EFD_NONBLOCK"}};
inline constexpr Xlat kTimerfdCreateFlags[] = {{02000000, "TFD_CLOEXEC"}, {04000, "TFD_NONBLOCK"}};
inline constexpr Xlat kTimerfdSetFlags[] = {{1, "TFD_TIMER_ABSTIME"},
                                            {2, "TFD_TIMER_CANCEL_ON_SET"}};
inline constexpr Xlat kSignalfdFlags[] = {{02000000, "SFD_CLOEXEC"}, {04000, "SFD_NONBLOCK"}};
inline constexpr Xlat kClockIds[] = {
    {0, "CLOCK_REALTIME"},          {1, "CLOCK_MONOTONIC"},     {2, "CLOCK_PROCESS_CPUTIME_ID"},
    {3, "CLOCK_THREAD_CPUTIME_ID"}, {4, "CLOCK_MONOTONIC_RAW"}, {5, "CLOCK_REALTIME_COARSE"},
    {6, "CLOCK_MONOTONIC_COARSE"},  {7, "CLOCK_BOOTTIME"},      {8, "CLOCK_REALTIME_ALARM"},
    {9, "CLOCK_BOOTTIME_ALARM"},    {10, "CLOCK_SGI_CYCLE"},    {11, "CLOCK_TAI"},
};
inline constexpr Xlat kTimerFlags[] = {{1, "TIMER_ABSTIME"}};
inline constexpr Xlat kFutexCmds[] = {
    {0, "FUTEX_WAIT"},
    {1, "FUTEX_WAKE"},
    {2, "FUTEX_FD"},
    {3, "FUTEX_REQUEUE"},
    {4, "FUTEX_CMP_REQUEUE"},
    {5, "FUTEX_WAKE_OP"},
    {6, "FUTEX_LOCK_PI"},
    {7, "FUTEX_UNLOCK_PI"},
    {8, "FUTEX_TRYLOCK_PI"},
    {9, "FUTEX_WAIT_BITSET"},
    {10, "FUTEX_WAKE_BITSET"},
    {11, "FUTEX_WAIT_REQUEUE_PI"},
    {12, "FUTEX_CMP_REQUEUE_PI"},
    {13, "FUTEX_LOCK_PI2"},
};
inline constexpr Xlat kFutexWakeOps[] = {{0, "FUTEX_OP_SET"},
                                         {1, "FUTEX_OP_ADD"},
                                         {2, "FUTEX_OP_OR"},
                                         {3, "FUTEX_OP_ANDN"},
                                         {4, "FUTEX_OP_XOR"}};
inline constexpr Xlat kFutexWakeCmps[] = {{0, "FUTEX_OP_CMP_EQ"}, {1, "FUTEX_OP_CMP_NE"},
                                          {2, "FUTEX_OP_CMP_LT"}, {3, "FUTEX_OP_CMP_LE"},
                                          {4, "FUTEX_OP_CMP_GT"}, {5, "FUTEX_OP_CMP_GE"}};

// "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME".
std::string format_futex_op(uint64_t op);
// FUTEX_WAKE_OP's encoded operation: "FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1".
std::string format_futex_wake_op(uint32_t val3);

}  // namespace corostack::trace
