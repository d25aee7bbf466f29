#pragma once
// The raw call table behind syscall_spec(): sorted by number, with gaps.
#include <span>

#include "trace/syscall_table.hpp"

namespace corostack::trace {

std::span<const SyscallSpec> syscall_specs();

}  // namespace corostack::trace
