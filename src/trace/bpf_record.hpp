#pragma once
// One ring-buffer record of the in-kernel tracer (struct ct_record and the
// copied bytes after it, trace/bpf/syscall_trace.h) turned into a
// BpfSyscallRecord. The bytes come from a kernel program we wrote, but they
// are read as untrusted: a short record is refused, the copy count is capped
// at CT_MAX_COPIES and each copy's length at the bytes actually present.
#include <cstddef>
#include <span>

#include "trace/bpf_tracer.hpp"

namespace corostack::trace {

// Fills `out` (its copies keep their capacity across calls); false when the
// record is shorter than its header.
bool parse_bpf_record(std::span<const std::byte> data, BpfSyscallRecord& out);

}  // namespace corostack::trace
