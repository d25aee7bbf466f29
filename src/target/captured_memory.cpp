#include "target/captured_memory.hpp"

#include <algorithm>
#include <cstring>

namespace corostack {

CapturedMemory::CapturedMemory(const MemoryReader& backing, std::vector<CapturedRegion> regions)
    : backing_(backing), regions_(std::move(regions)) {
  std::sort(regions_.begin(), regions_.end(),
            [](const CapturedRegion& a, const CapturedRegion& b) { return a.start < b.start; });
  // Threads never share a stack, but a hostile or odd capture might overlap;
  // trim so each byte has a single source.
  for (size_t i = 1; i < regions_.size(); ++i) {
    auto& prev = regions_[i - 1];
    uint64_t prev_end = prev.start.value() + prev.bytes.size();
    if (prev_end > regions_[i].start.value()) prev.bytes.resize(regions_[i].start - prev.start);
  }
}

const CapturedRegion* CapturedMemory::region_for(RemoteAddr addr) const {
  auto it = std::upper_bound(regions_.begin(), regions_.end(), addr,
                             [](RemoteAddr a, const CapturedRegion& r) { return a < r.start; });
  if (it == regions_.begin()) return nullptr;
  --it;
  return addr - it->start < it->bytes.size() ? &*it : nullptr;
}

ReadResult CapturedMemory::read(RemoteAddr addr, std::span<std::byte> out) const {
  size_t done = 0;
  while (done < out.size()) {
    RemoteAddr a = addr + done;
    if (a < addr) return {done, ErrorKind::kUnreadable};  // wrapped
    if (const CapturedRegion* r = region_for(a)) {
      size_t in_region = static_cast<size_t>(a - r->start);
      size_t n = std::min(r->bytes.size() - in_region, out.size() - done);
      std::memcpy(out.data() + done, r->bytes.data() + in_region, n);
      done += n;
      continue;
    }
    // Up to the next captured region (or the end) from the backing target.
    auto next = std::upper_bound(regions_.begin(), regions_.end(), a,
                                 [](RemoteAddr x, const CapturedRegion& r) { return x < r.start; });
    size_t n = out.size() - done;
    if (next != regions_.end()) n = std::min<uint64_t>(n, next->start - a);
    auto rr = backing_.read(a, out.subspan(done, n));
    done += rr.bytes;
    if (rr.bytes < n) return {done, rr.error};
  }
  return {done, ErrorKind::kUnreadable};
}

}  // namespace corostack
