#include "python/pthread_tids.hpp"

#include <array>
#include <cstring>

namespace corostack::python {
namespace {
// glibc 2.x puts `tid` after the TCB header and a list head: 0x2d0 on
// x86-64 glibc 2.26-2.40. Searching the first 2 KiB covers any plausible build.
constexpr size_t kSearchBytes = 2048;
}  // namespace

std::vector<std::optional<pid_t>> pthread_tids(const MemoryReader& mem,
                                               const std::vector<uint64_t>& idents,
                                               const std::unordered_set<pid_t>& tids) {
  std::vector<std::optional<pid_t>> out(idents.size());
  if (idents.empty() || tids.empty()) return out;
  std::vector<std::array<std::byte, kSearchBytes>> blocks(idents.size());
  std::vector<bool> readable(idents.size(), false);
  for (size_t i = 0; i < idents.size(); ++i) {
    if (idents[i] == 0 || idents[i] % 8 != 0) continue;
    auto r = mem.read(RemoteAddr(idents[i]), blocks[i]);
    readable[i] = r.bytes == kSearchBytes;
  }
  auto tid_at = [&](size_t i, size_t off) -> std::optional<pid_t> {
    if (!readable[i]) return std::nullopt;
    int32_t v;
    std::memcpy(&v, blocks[i].data() + off, sizeof v);
    if (v <= 0 || !tids.count(v)) return std::nullopt;
    return v;
  };
  size_t best_off = 0, best_votes = 0;
  for (size_t off = 0; off + 4 <= kSearchBytes; off += 4) {
    size_t votes = 0;
    std::unordered_set<pid_t> seen;  // two idents cannot share one TID
    for (size_t i = 0; i < idents.size(); ++i)
      if (auto t = tid_at(i, off); t && seen.insert(*t).second) ++votes;
    if (votes > best_votes) best_votes = votes, best_off = off;
  }
  if (best_votes == 0) return out;
  for (size_t i = 0; i < idents.size(); ++i) out[i] = tid_at(i, best_off);
  return out;
}

}  // namespace corostack::python
