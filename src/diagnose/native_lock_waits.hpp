#pragma once
// Which threads wait for a pthread mutex or rwlock, and who holds it, read
// from outside: a thread blocked in futex() on the lock word, recognised by
// the call's arguments and by glibc's locking function on its native stack;
// the owner's TID from the lock itself (glibc 2.36 x86-64 layouts,
// ../shared/reference/trace-and-doctor-anchors.md §4a):
//   pthread_mutex_t: __lock @0 (2: locked, waiters), __owner @8 (TID), __kind @16;
//     waiters sleep in FUTEX_WAIT(_BITSET) on __lock with value 2; PI mutexes
//     in FUTEX_LOCK_PI, their word holding the owner's TID.
//   pthread_rwlock_t: __wrphase_futex @8, __writers_futex @12, __cur_writer @24.
// std::mutex is a pthread_mutex_t. Nothing here stops a thread: blocked
// threads cannot change the words they sleep on, so reading them after the
// capture is as good as during it.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "snapshot/snapshot.hpp"
#include "target/memory_reader.hpp"

namespace corostack::diagnose {

struct NativeLockWait {
  pid_t tid = 0;
  std::string lock_kind;  // "pthread_mutex_t" or "pthread_rwlock_t"
  uint64_t lock_address = 0;
  pid_t owner = 0;  // 0: no single owner recorded (a read-locked rwlock)
  // The lock was recognised from a locking function on the thread's stack;
  // false: from the futex arguments and the lock's own fields alone.
  bool seen_in_frames = false;
  // The first frame outside the locking machinery (libc, std::mutex,
  // lock_guard...): where the program asked for the lock.
  std::string waiter_frame;
};

// Futex waits of the snapshot's threads that are pthread lock waits.
std::vector<NativeLockWait> find_native_lock_waits(const ProcessSnapshot& snap,
                                                   const MemoryReader& memory);

}  // namespace corostack::diagnose
