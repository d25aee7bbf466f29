#include "target/frame_pointer_guess.hpp"

#include <vector>

namespace corostack {
namespace {

constexpr uint64_t kMaxFrameBytes = 1 << 20;  // a saved rbp further up than this is not trusted

}  // namespace

bool follows_call(const MemoryReader& mem, uint64_t ret) {
  if (ret < 8) return false;
  uint8_t b[8];
  if (mem.read(RemoteAddr(ret - 8), std::span<std::byte>(reinterpret_cast<std::byte*>(b), 8))
          .bytes != 8)
    return false;
  auto is_call_modrm = [](uint8_t m) { return (m & 0x38) == 0x10; };         // FF /2
  if (b[3] == 0xE8) return true;                                             // call rel32
  if (b[6] == 0xFF && is_call_modrm(b[7]) && (b[7] >> 6) == 3) return true;  // call *%reg
  if (b[5] == 0xFF && is_call_modrm(b[6]) && (b[6] >> 6) == 1) return true;  // call *d8(%reg)
  if (b[4] == 0xFF && is_call_modrm(b[5]) && (b[5] >> 6) == 1) return true;  // with SIB
  if (b[2] == 0xFF && is_call_modrm(b[3]) && ((b[3] >> 6) == 2 || b[3] == 0x15))
    return true;  // call *d32(%reg), call *rel32(%rip)
  if (b[6] == 0xFF && is_call_modrm(b[7]) && (b[7] >> 6) == 0) return true;  // call *(%reg)
  return false;
}

std::optional<uint64_t> guess_frame_pointer(const MemoryReader& mem, uint64_t rsp,
                                            const std::function<bool(uint64_t)>& into_same_function,
                                            uint64_t search_bytes) {
  std::vector<uint64_t> words(search_bytes / 8);
  uint64_t base = rsp & ~uint64_t{7};
  auto r =
      mem.read(RemoteAddr(base),
               std::span<std::byte>(reinterpret_cast<std::byte*>(words.data()), words.size() * 8));
  size_t n = r.bytes / 8;
  auto pair_at = [&](uint64_t a) -> std::optional<std::pair<uint64_t, uint64_t>> {
    if (a < base || a + 16 > base + n * 8) {
      auto saved = mem.read_value<uint64_t>(RemoteAddr(a));
      auto ret = mem.read_value<uint64_t>(RemoteAddr(a + 8));
      if (!saved || !ret) return std::nullopt;
      return std::make_pair(*saved, *ret);
    }
    size_t i = (a - base) / 8;
    return std::make_pair(words[i], words[i + 1]);
  };
  for (size_t i = 0; i + 1 < n; ++i) {
    uint64_t a = base + i * 8;
    uint64_t saved = words[i], ret = words[i + 1];
    if (!follows_call(mem, ret)) continue;
    if (into_same_function && into_same_function(ret)) continue;
    if (saved <= a || saved - a > kMaxFrameBytes || (saved & 7)) continue;
    auto next = pair_at(saved);
    if (!next) continue;
    if (next->first != 0 && (next->first <= saved || next->first - saved > kMaxFrameBytes))
      continue;
    if (!follows_call(mem, next->second)) continue;
    return a;
  }
  return std::nullopt;
}

}  // namespace corostack
