#include "coro/frame_scanner.hpp"

#include <chrono>
#include <cstring>

namespace corostack::coro {
namespace {

constexpr size_t kChunk = 4 << 20;  // bytes per read: large reads are what makes 1 GB/s
constexpr uint64_t kWord = 8;

}  // namespace

std::vector<FrameCandidate> scan_for_frames(const MemoryReader& mem,
                                            const std::vector<MemoryMap>& maps,
                                            const CoroCatalog& catalog, const ScanOptions& options,
                                            ScanStats& stats) {
  auto t0 = std::chrono::steady_clock::now();
  std::vector<FrameCandidate> out;
  if (catalog.empty()) return out;
  std::vector<uint64_t> buf(kChunk / kWord);
  uint64_t total = 0;
  if (options.progress)
    for (const MemoryMap& m : maps)
      if (m.writable && m.readable && m.end > m.start) total += m.end.value() - m.start.value();
  for (const MemoryMap& m : maps) {
    if (!m.writable || !m.readable || m.end <= m.start) continue;
    if (m.path == "[vvar]" || m.path == "[vsyscall]") continue;
    ++stats.regions;
    for (uint64_t at = m.start.value(); at < m.end.value();) {
      if (stats.bytes >= options.max_bytes || out.size() >= options.max_candidates) {
        stats.candidates = out.size();
        stats.ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                             std::chrono::steady_clock::now() - t0)
                                             .count());
        return out;
      }
      if (options.progress)
        options.progress("scanning memory for coroutine frames", stats.bytes + stats.unreadable,
                         total);
      size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, m.end.value() - at));
      auto r = mem.read(RemoteAddr(at),
                        std::span<std::byte>(reinterpret_cast<std::byte*>(buf.data()), want));
      size_t words = r.bytes / kWord;
      stats.bytes += words * kWord;
      // The destroy slot is frame[1]: a hit in the chunk's first word has its
      // frame start in the previous chunk, which is fine (only its address is kept).
      for (size_t i = 0; i < words; ++i) {
        if (const CoroutineInfo* info = catalog.by_destroy_slot(buf[i])) {
          uint64_t slot = at + i * kWord;
          if (slot >= m.start.value() + kWord) out.push_back({RemoteAddr(slot - kWord), info});
        }
      }
      if (r.bytes < want) {
        // Skip the unreadable page and go on.
        uint64_t skip_to = (at + r.bytes + 4096) & ~uint64_t{4095};
        stats.unreadable += skip_to - at - r.bytes;
        at = skip_to;
      } else {
        at += want;
      }
    }
  }
  stats.candidates = out.size();
  stats.ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  return out;
}

}  // namespace corostack::coro
