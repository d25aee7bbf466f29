#include "python/pthread_tids.hpp"

#include <cstring>

namespace corostack::python {
namespace {
// glibc 2.x puts `tid` after the TCB header and a list head: 0x2d0 on
// x86-64 glibc 2.26-2.40. Searching the first 2 KiB covers any plausible build.
constexpr size_t kSearchBytes = 2048;
constexpr size_t kUsualOffset = 0x2d0;

// The first kSearchBytes of each ident's struct pthread (empty if unreadable).
std::vector<std::vector<std::byte>> read_blocks(const MemoryReader& mem,
                                                const std::vector<uint64_t>& idents) {
  std::vector<std::vector<std::byte>> blocks(idents.size());
  for (size_t i = 0; i < idents.size(); ++i) {
    if (idents[i] == 0 || idents[i] % 8 != 0) continue;
    blocks[i].resize(kSearchBytes);
    if (mem.read(RemoteAddr(idents[i]), blocks[i]).bytes != kSearchBytes) blocks[i].clear();
  }
  return blocks;
}

std::optional<pid_t> tid_at(const std::vector<std::byte>& block, size_t off,
                            const std::unordered_set<pid_t>& tids) {
  if (block.size() < off + 4) return std::nullopt;
  int32_t v;
  std::memcpy(&v, block.data() + off, sizeof v);
  if (v <= 0 || !tids.count(v)) return std::nullopt;
  return v;
}

std::optional<uint64_t> best_offset(const std::vector<std::vector<std::byte>>& blocks,
                                    const std::unordered_set<pid_t>& tids) {
  auto votes = [&](size_t off) {
    size_t n = 0;
    std::unordered_set<pid_t> seen;  // two idents cannot share one TID
    for (const auto& b : blocks)
      if (auto t = tid_at(b, off, tids); t && seen.insert(*t).second) ++n;
    return n;
  };
  size_t best_off = 0, best_votes = 0;
  for (size_t off = 0; off + 4 <= kSearchBytes; off += 4)
    if (size_t v = votes(off); v > best_votes) best_votes = v, best_off = off;
  if (best_votes == 0) return std::nullopt;
  return votes(kUsualOffset) == best_votes ? kUsualOffset : best_off;
}

}  // namespace

std::optional<uint64_t> pthread_tid_offset(const MemoryReader& mem,
                                           const std::vector<uint64_t>& idents,
                                           const std::unordered_set<pid_t>& tids) {
  if (idents.empty() || tids.empty()) return std::nullopt;
  return best_offset(read_blocks(mem, idents), tids);
}

std::vector<std::optional<pid_t>> pthread_tids(const MemoryReader& mem,
                                               const std::vector<uint64_t>& idents,
                                               const std::unordered_set<pid_t>& tids) {
  std::vector<std::optional<pid_t>> out(idents.size());
  if (idents.empty() || tids.empty()) return out;
  auto blocks = read_blocks(mem, idents);
  auto off = best_offset(blocks, tids);
  if (!off) return out;
  for (size_t i = 0; i < idents.size(); ++i) out[i] = tid_at(blocks[i], *off, tids);
  return out;
}

}  // namespace corostack::python
