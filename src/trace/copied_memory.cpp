#include "trace/copied_memory.hpp"

#include <algorithm>
#include <cstring>

namespace corostack::trace {

ReadResult CopiedMemory::read(RemoteAddr addr, std::span<std::byte> out) const {
  ReadResult r;
  uint64_t at = addr.value();
  // A read may run from one copy into another that happens to follow it
  // (two arguments pointing into one buffer), hence the loop.
  while (r.bytes < out.size()) {
    const BpfCopy* hit = nullptr;
    for (const BpfCopy& c : copies_) {
      // at - c.addr, unsigned: also rejects at < c.addr without overflow.
      if (at - c.addr < c.bytes.size()) {
        hit = &c;
        break;
      }
    }
    if (!hit) {
      r.error = ErrorKind::kUnreadable;
      return r;
    }
    size_t from = static_cast<size_t>(at - hit->addr);
    size_t n = std::min(hit->bytes.size() - from, out.size() - r.bytes);
    std::memcpy(out.data() + r.bytes, hit->bytes.data() + from, n);
    r.bytes += n;
    at += n;
  }
  return r;
}

}  // namespace corostack::trace
