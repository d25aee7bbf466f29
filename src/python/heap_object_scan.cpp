#include "python/heap_object_scan.hpp"

#include <fmt/format.h>

#include <cstring>
#include <utility>

#include "base/pages.hpp"
#include "python/reference_count.hpp"

namespace corostack::python {
namespace {

constexpr uint64_t kTypeOffset = 24;    // ob_type in the free-threaded header
constexpr uint64_t kGcBitsOffset = 11;  // ob_gc_bits
constexpr uint8_t kGcTracked = 1;       // _PyGC_BITS_TRACKED
constexpr uint64_t kChunk = 1 << 20;

// Where mimalloc (and the libc heap) keep objects: anonymous private
// read-write memory, not stacks or the kernel's pages.
bool may_hold_objects(const MemoryMap& m) {
  if (!m.readable || !m.writable || m.shared) return false;
  return m.path.empty() || m.path == "[heap]";
}

class Scanner {
 public:
  Scanner(const RemoteObjects& ro, uint64_t type, uint64_t max_bytes,
          const std::function<bool(RemoteAddr)>& visit, GcWalkResult& out)
      : ro_(ro), type_(type), max_bytes_(max_bytes), visit_(visit), out_(out), buf_(kChunk) {}

  // Scans [start, end); false once the walk must stop.
  bool range(uint64_t start, uint64_t end) {
    // Chunks overlap by the type's offset, so a header just before a chunk's
    // end is read whole in the next one (objects are 8-aligned: none twice).
    for (uint64_t at = start; at < end; at += kChunk - kTypeOffset) {
      if (read_ >= max_bytes_) {
        out_.truncated = true;
        out_.errors.push_back(
            fmt::format("scanned the first {} MiB of memory only", max_bytes_ >> 20));
        return false;
      }
      uint64_t n = std::min<uint64_t>(kChunk, end - at);
      auto r = ro_.memory().read(RemoteAddr(at), std::as_writable_bytes(std::span(buf_.data(), n)));
      read_ += n;
      for (uint64_t off = kTypeOffset; off + 8 <= r.bytes; off += 8) {
        uint64_t word;
        std::memcpy(&word, buf_.data() + off, 8);
        if (word != type_) continue;
        RemoteAddr obj(at + off - kTypeOffset);
        uint8_t bits = buf_[off - kTypeOffset + kGcBitsOffset];
        if (!(bits & kGcTracked) || !reference_count(ro_, obj)) continue;
        ++out_.visited;
        if (!visit_(obj)) {
          out_.truncated = true;
          return false;
        }
      }
      if (n < kChunk) break;
    }
    return true;
  }

 private:
  const RemoteObjects& ro_;
  uint64_t type_;
  uint64_t max_bytes_;
  const std::function<bool(RemoteAddr)>& visit_;
  GcWalkResult& out_;
  std::vector<uint8_t> buf_;
  uint64_t read_ = 0;
};

}  // namespace

GcWalkResult for_each_heap_object_of_type(const RemoteObjects& ro,
                                          const std::vector<MemoryMap>& maps, RemoteAddr type,
                                          uint64_t max_bytes, const DataRuns& data_runs,
                                          const std::function<bool(RemoteAddr)>& visit) {
  GcWalkResult out;
  if (type.is_null()) {
    out.errors.push_back("the type's address is not known");
    return out;
  }
  Scanner scan(ro, type.value(), max_bytes, visit, out);
  for (const MemoryMap& m : maps) {
    if (!may_hold_objects(m) || m.end.value() <= m.start.value()) continue;
    const uint64_t start = m.start.value(), pages = (m.end.value() - start) / kPageSize;
    // Only pages that hold data: a reserved arena never touched reads as
    // zeros, and reading it would map the zero page across it.
    std::vector<std::pair<uint64_t, uint64_t>> runs;
    bool known = data_runs && data_runs(start, pages, [&](uint64_t first, uint64_t count) {
                   runs.emplace_back(first, count);
                 });
    if (!known) runs.assign(1, {0, pages});
    for (const auto& [first, count] : runs)
      if (!scan.range(start + first * kPageSize, start + (first + count) * kPageSize)) return out;
  }
  return out;
}

}  // namespace corostack::python
