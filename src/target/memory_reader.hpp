#pragma once
// The one way anything reads target memory: bytes read plus a reason on
// failure. A short read is normal (end of a mapping, a page missing from a
// core); callers decide whether a partial buffer is good enough.
#include <cstddef>
#include <span>
#include <string>

#include "base/remote_addr.hpp"
#include "base/result.hpp"

namespace corostack {

struct ReadResult {
  size_t bytes = 0;                          // bytes copied into the buffer, from its start
  ErrorKind error = ErrorKind::kUnreadable;  // why it stopped short; meaningful when bytes < size
  bool complete(size_t wanted) const { return bytes == wanted; }
};

class MemoryReader {
 public:
  virtual ~MemoryReader() = default;
  virtual ReadResult read(RemoteAddr addr, std::span<std::byte> out) const = 0;

  // Convenience: reads exactly sizeof(T) bytes or fails.
  template <typename T>
  Result<T> read_value(RemoteAddr addr) const {
    T v{};
    auto r = read(addr, std::as_writable_bytes(std::span(&v, 1)));
    if (!r.complete(sizeof(T))) return make_error(r.error, "cannot read target memory");
    return v;
  }
};

}  // namespace corostack
