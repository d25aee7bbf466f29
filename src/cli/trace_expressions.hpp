#pragma once
// strace's -e expressions: trace=SET, signal=SET, status=SET, and a bare SET
// meaning trace=SET. Later ones of the same kind replace earlier ones.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "trace/syscall_table.hpp"

namespace corostack {

struct TraceExpressions {
  bool all_calls = true;
  trace::SyscallSet calls = trace::SyscallSet::all();
  std::vector<bool> signals;  // empty: every signal
  uint32_t status = 0x1f;     // trace::StatusBits
};

std::optional<TraceExpressions> parse_trace_expressions(const std::vector<std::string>& exprs,
                                                        std::string& error);

}  // namespace corostack
