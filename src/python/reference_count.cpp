#include "python/reference_count.hpp"

namespace corostack::python {
namespace {

// Far more than any real object has; a larger count is corrupt memory.
constexpr uint64_t kMaxPlausibleCount = uint64_t{1} << 31;

// Free-threaded header (3.13t, 3.14t): where the two counts sit.
constexpr uint64_t kFreeThreadedRefLocal = 12;
constexpr uint64_t kFreeThreadedRefShared = 16;
constexpr int64_t kFreeThreadedTypeOffset = 24;
constexpr unsigned kRefSharedShift = 2;

std::optional<uint64_t> plausible_count(uint64_t n) {
  if (n == 0 || n >= kMaxPlausibleCount) return std::nullopt;
  return n;
}

}  // namespace

std::optional<uint64_t> reference_count(const RemoteObjects& ro, RemoteAddr obj) {
  const PythonLayout& l = ro.layout();
  if (!l.object_type.present()) return std::nullopt;
  if (l.free_threaded) {
    if (l.object_type.offset != kFreeThreadedTypeOffset) return std::nullopt;
    auto local = ro.read_uint(obj, kFreeThreadedRefLocal, 4);
    auto shared = ro.read_uint(obj, kFreeThreadedRefShared, 8);
    if (!local || !shared || *local == UINT32_MAX) return std::nullopt;
    int64_t total = static_cast<int64_t>(*local) +
                    (static_cast<int64_t>(*shared) >> kRefSharedShift);  // shared may be negative
    if (total <= 0) return std::nullopt;
    return plausible_count(static_cast<uint64_t>(total));
  }
  if (l.object_type.offset < 8) return std::nullopt;
  auto word = ro.read_uint(obj, static_cast<uint64_t>(l.object_type.offset) - 8, 8);
  if (!word) return std::nullopt;
  // Low 32 bits: the count on 3.14+, all of it for any live non-immortal
  // object before; their top bit set means immortal (3.12+) or corrupt.
  uint64_t low = *word & 0xffffffffu;
  if (low & 0x80000000u) return std::nullopt;
  if ((l.major < 3 || (l.major == 3 && l.minor < 14)) && (*word >> 32) != 0) return std::nullopt;
  return plausible_count(low);
}

}  // namespace corostack::python
