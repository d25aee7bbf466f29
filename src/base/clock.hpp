#pragma once
// A clock read as nanoseconds: CLOCK_MONOTONIC for intervals and deadlines,
// CLOCK_REALTIME for time of day.
#include <time.h>

#include <cstdint>

namespace corostack {

inline uint64_t clock_ns(clockid_t id = CLOCK_MONOTONIC) {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace corostack
