#pragma once
// How strace lines look: the letters -t -tt -ttt -r -T -z -Z -e signal= and
// what goes under each call (--py).
#include <cstdint>
#include <vector>

#include "trace/syscall_decode.hpp"

namespace corostack::trace {

// -e status=SET: which calls are printed, by how they ended.
enum StatusBits : uint32_t {
  kStatusSuccessful = 1u << 0,
  kStatusFailed = 1u << 1,
  kStatusUnfinished = 1u << 2,
  kStatusUnavailable = 1u << 3,
  kStatusDetached = 1u << 4,
  kStatusAll = 0x1f,
};

struct LineOptions {
  DecodeOptions decode;
  int timestamps = 0;      // 1: -t, 2: -tt, 3: -ttt
  bool relative = false;   // -r
  bool durations = false;  // -T
  // strace's pid column: "[pid  123] " on a terminal stream when several
  // threads are traced; "123   " on every line with -o and -f.
  bool pid_column = false;
  uint32_t status = kStatusAll;
  std::vector<bool> signals;  // -e signal=SET, indexed by number; empty: all
  int python_depth = 0;       // --py=N: innermost N Python frames under each call
  bool native = false;        // --native: the native stack under each call (strace -k)
};

}  // namespace corostack::trace
