#include "diagnose/native_lock_waits.hpp"

#include "diagnose/thread_label.hpp"

#include <fmt/format.h>

#include <array>
#include <filesystem>
#include <optional>
#include <string_view>
#include <unordered_set>

namespace corostack::diagnose {
namespace {

constexpr int64_t kLockFutexNr = 202;
constexpr uint64_t kFutexWait = 0;
constexpr uint64_t kFutexLockPi = 6;
constexpr uint64_t kFutexWaitBitset = 9;
constexpr uint64_t kFutexLockPi2 = 13;
constexpr uint64_t kFutexCmdMask = 0x7f;  // without FUTEX_PRIVATE_FLAG (128), CLOCK_REALTIME (256)
constexpr uint64_t kPrivateFlag = 128;
constexpr uint32_t kTidMask = 0x3fffffff;

enum class LockCall { kNone, kMutex, kRwlockRead, kRwlockWrite };

bool contains(std::string_view s, std::string_view what) {
  return s.find(what) != std::string_view::npos;
}

LockCall lock_call(const Frame& f) {
  if (f.kind != FrameKind::kNative || !f.function) return LockCall::kNone;
  std::string_view n = *f.function;
  if (contains(n, "pthread_mutex_lock") || contains(n, "pthread_mutex_timedlock") ||
      contains(n, "pthread_mutex_clocklock") || n == "__lll_lock_wait" ||
      n == "__GI___lll_lock_wait")
    return LockCall::kMutex;
  if (contains(n, "pthread_rwlock_rdlock") || contains(n, "pthread_rwlock_timedrdlock") ||
      contains(n, "pthread_rwlock_clockrdlock"))
    return LockCall::kRwlockRead;
  if (contains(n, "pthread_rwlock_wrlock") || contains(n, "pthread_rwlock_timedwrlock") ||
      contains(n, "pthread_rwlock_clockwrlock"))
    return LockCall::kRwlockWrite;
  return LockCall::kNone;
}

// Frames that belong to taking the lock, not to the code that wants it.
bool locking_machinery(const Frame& f) {
  if (f.kind != FrameKind::kNative) return false;
  if (!f.function) return true;  // unnamed frames inside libc
  std::string_view n = *f.function;
  static constexpr std::array<std::string_view, 14> kPrefixes = {"pthread_",
                                                                 "__pthread_",
                                                                 "___pthread_",
                                                                 "__lll_",
                                                                 "__GI___lll",
                                                                 "lll_",
                                                                 "futex_",
                                                                 "__futex",
                                                                 "__gthread_",
                                                                 "std::mutex::",
                                                                 "std::lock_guard<",
                                                                 "std::unique_lock<",
                                                                 "std::scoped_lock<",
                                                                 "std::shared_mutex::"};
  for (std::string_view p : kPrefixes)
    if (n.substr(0, p.size()) == p) return true;
  return contains(n, "__GI___pthread") || n == "syscall" || contains(n, "std::recursive_mutex::") ||
         contains(n, "std::timed_mutex::") || contains(n, "std::__shared_mutex_pthread::");
}

std::string waiter_frame_text(const ThreadSnapshot& t, size_t lock_frame) {
  for (size_t i = lock_frame + 1; i < t.frames.size(); ++i)
    if (!locking_machinery(t.frames[i])) return frame_text(t.frames[i]);
  return {};
}

struct MutexWords {
  int32_t lock;
  uint32_t count;
  int32_t owner;
  uint32_t nusers;
  int32_t kind;
};

struct RwlockWords {
  uint32_t readers, writers, wrphase_futex, writers_futex, pad3, pad4;
  int32_t cur_writer;
};

}  // namespace

std::vector<NativeLockWait> find_native_lock_waits(const ProcessSnapshot& snap,
                                                   const MemoryReader& memory) {
  std::unordered_set<pid_t> tids;
  for (const ThreadSnapshot& t : snap.threads) tids.insert(t.tid);
  std::vector<NativeLockWait> out;
  for (const ThreadSnapshot& t : snap.threads) {
    if (!t.syscall || t.syscall->nr != kLockFutexNr || t.syscall->args.size() < 3) continue;
    uint64_t addr = t.syscall->args[0];
    uint64_t op = t.syscall->args[1];
    uint64_t val = t.syscall->args[2] & 0xffffffff;
    uint64_t cmd = op & kFutexCmdMask;
    LockCall call = LockCall::kNone;
    size_t call_frame = 0;
    for (size_t i = 0; i < t.frames.size() && call == LockCall::kNone; ++i) {
      call = lock_call(t.frames[i]);
      call_frame = i;
    }
    NativeLockWait w;
    w.tid = t.tid;
    w.seen_in_frames = call != LockCall::kNone;
    if (w.seen_in_frames) w.waiter_frame = waiter_frame_text(t, call_frame);

    if (call == LockCall::kMutex || call == LockCall::kNone) {
      bool pi = cmd == kFutexLockPi || cmd == kFutexLockPi2;
      bool plain = (cmd == kFutexWait || cmd == kFutexWaitBitset) && val == 2;
      if (!pi && !plain) continue;
      auto m = memory.read_value<MutexWords>(RemoteAddr(addr));
      if (!m) continue;
      int type = m->kind & 127;
      if ((type & ~(16 | 32 | 64)) > 3) continue;  // not a mutex kind glibc makes
      pid_t owner = pi ? static_cast<pid_t>(static_cast<uint32_t>(m->lock) & kTidMask) : m->owner;
      if (owner <= 0 || m->lock == 0) continue;  // unlocked since: no longer a wait
      // A process-shared mutex may be held by another process's thread.
      bool pshared = (m->kind & 128) != 0 || (op & kPrivateFlag) == 0;
      // Without a locking frame, only trust the words when the owner is ours.
      if (!w.seen_in_frames && !tids.contains(owner)) continue;
      if (pshared && !tids.contains(owner)) continue;
      w.lock_kind = "pthread_mutex_t";
      w.lock_address = addr;
      w.owner = owner;
      out.push_back(std::move(w));
      continue;
    }
    // rwlock: readers sleep on __wrphase_futex (+8), writers on
    // __writers_futex (+12) or, while readers hold it, on __wrphase_futex.
    if (cmd != kFutexWait && cmd != kFutexWaitBitset) continue;
    std::optional<uint64_t> base;
    pid_t owner = 0;
    for (uint64_t back : {uint64_t{8}, uint64_t{12}}) {
      if (addr < back) continue;
      auto rw = memory.read_value<RwlockWords>(RemoteAddr(addr - back));
      if (!rw) continue;
      if (rw->cur_writer > 0 && tids.contains(rw->cur_writer)) {
        base = addr - back;
        owner = rw->cur_writer;
        break;
      }
    }
    w.lock_kind = "pthread_rwlock_t";
    w.lock_address = base.value_or(call == LockCall::kRwlockRead ? addr - 8 : addr - 12);
    w.owner = owner;
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace corostack::diagnose
