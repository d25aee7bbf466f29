#include "python/lock_objects.hpp"

#include <array>
#include <unordered_set>
#include <vector>

namespace corostack::python {
namespace {

// Object pointers are 8-aligned; 3.14's _PyStackRef tags the low bits.
constexpr uint64_t kTagMask = ~uint64_t{7};
constexpr uint64_t kMinAddress = 0x10000;
constexpr uint64_t kMaxAddress = uint64_t{1} << 47;

bool plausible_address(uint64_t v) {
  return v >= kMinAddress && v < kMaxAddress;
}

// Where the frame's localsplus starts, whichever frame struct the version has.
std::optional<RemoteAddr> localsplus_of(const PythonLayout& l, uint64_t frame) {
  FieldLoc f = l.iframe_localsplus.present() ? l.iframe_localsplus : l.frame_localsplus;
  if (!f.present()) return std::nullopt;
  return checked_offset(RemoteAddr(frame), static_cast<uint64_t>(f.offset));
}

// <=3.13: does obj's sem pointer equal the futex address?
std::optional<PyLockObject> sem_match(const RemoteObjects& ro, uint64_t obj, uint64_t futex) {
  const PythonLayout& l = ro.layout();
  // Cheap test first: both types keep the sem_t* at the same offset in every
  // version that has one, but read each through its own field.
  for (FieldLoc f : {l.lock_sem, l.rlock_sem}) {
    if (!f.present()) continue;
    auto sem = ro.field(RemoteAddr(obj), f);
    if (!sem || *sem != futex) continue;
    auto type = lock_type_of(ro, RemoteAddr(obj));
    if (!type) continue;
    if ((*type == PyLockType::kLock ? l.lock_sem : l.rlock_sem).offset != f.offset) continue;
    return read_lock_object(ro, RemoteAddr(obj));
  }
  return std::nullopt;
}

}  // namespace

std::optional<PyLockType> lock_type_of(const RemoteObjects& ro, RemoteAddr obj) {
  auto name = ro.type_name_of(obj);
  if (!name) return std::nullopt;
  if (*name == "_thread.lock") return PyLockType::kLock;
  if (*name == "_thread.RLock") return PyLockType::kRLock;
  return std::nullopt;
}

std::optional<PyLockObject> read_lock_object(const RemoteObjects& ro, RemoteAddr obj) {
  auto type = lock_type_of(ro, obj);
  if (!type) return std::nullopt;
  PyLockObject out;
  out.type = *type;
  out.object = obj;
  if (*type == PyLockType::kLock) return out;
  const PythonLayout& l = ro.layout();
  if (auto owner = ro.field(obj, l.rlock_owner)) out.owner_ident = *owner;
  if (l.rlock_count.present()) {
    if (auto c = ro.field(obj, l.rlock_count)) out.count = *c;
  } else if (l.rlock_level.present() && out.owner_ident != 0) {
    if (auto c = ro.field(obj, l.rlock_level)) out.count = *c + 1;
  }
  return out;
}

std::optional<PyLockObject> find_waited_lock(const RemoteObjects& ro, uint64_t futex_addr,
                                             std::span<const uint64_t> python_frames,
                                             uint64_t stack_pointer,
                                             const LockSearchLimits& limits) {
  const PythonLayout& l = ro.layout();
  if (!plausible_address(futex_addr)) return std::nullopt;

  // 3.14+: the parking lot's wait_entry has the PyMutex's address just
  // before the semaphore the thread sleeps on.
  if (l.lock_mutex.present() || l.rlock_mutex.present()) {
    auto mutex = ro.word(RemoteAddr(futex_addr - 8));
    if (!mutex || !plausible_address(*mutex)) return std::nullopt;
    for (FieldLoc f : {l.lock_mutex, l.rlock_mutex}) {
      if (!f.present() || *mutex < static_cast<uint64_t>(f.offset)) continue;
      RemoteAddr obj(*mutex - static_cast<uint64_t>(f.offset));
      auto type = lock_type_of(ro, obj);
      if (!type) continue;
      if ((*type == PyLockType::kLock ? l.lock_mutex : l.rlock_mutex).offset != f.offset) continue;
      return read_lock_object(ro, obj);
    }
    return std::nullopt;
  }
  if (!l.lock_sem.present() && !l.rlock_sem.present()) return std::nullopt;

  // <=3.13: candidates, each tried once.
  std::unordered_set<uint64_t> tried;
  auto try_obj = [&](uint64_t v) -> std::optional<PyLockObject> {
    v &= kTagMask;
    if (!plausible_address(v) || !tried.insert(v).second) return std::nullopt;
    return sem_match(ro, v, futex_addr);
  };

  size_t frames = std::min(python_frames.size(), limits.python_frames);
  for (size_t i = 0; i < frames; ++i) {
    auto base = localsplus_of(l, python_frames[i]);
    if (!base) continue;
    std::vector<uint64_t> words(limits.frame_words);
    if (!ro.read_bytes(*base, 0, std::as_writable_bytes(std::span(words)))) {
      // The frame may end near a mapping's end: fall back to word reads.
      for (size_t k = 0; k < words.size(); ++k) words[k] = ro.word(*base, 8 * k).value_or(0);
    }
    for (uint64_t w : words) {
      if (auto hit = try_obj(w)) return hit;
    }
    // One level down: `with x:` leaves x.__exit__ (a bound method whose self
    // is x) on the value stack; method objects keep self at +24
    // (PyCFunctionObject.m_self, PyMethodObject.im_self).
    for (uint64_t w : words) {
      w &= kTagMask;
      if (!plausible_address(w)) continue;
      auto self = ro.word(RemoteAddr(w), 24);
      if (!self) continue;
      if (auto hit = try_obj(*self)) return hit;
    }
  }

  if (plausible_address(stack_pointer) && limits.stack_bytes >= 8) {
    std::vector<uint64_t> words(limits.stack_bytes / 8);
    std::span<std::byte> bytes = std::as_writable_bytes(std::span(words));
    auto r = ro.memory().read(RemoteAddr(stack_pointer), bytes);
    size_t n = std::min(words.size(), r.bytes / 8);
    for (size_t k = 0; k < n; ++k) {
      if (words[k] == futex_addr) continue;
      if (auto hit = try_obj(words[k])) return hit;
    }
  }
  return std::nullopt;
}

}  // namespace corostack::python
