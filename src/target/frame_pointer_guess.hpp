#pragma once
// The frame pointer (rbp) of a thread read without stopping it, recovered
// from its stack. /proc/TID/syscall gives only rsp and rip; code built with
// frame pointers (-O0, -fno-omit-frame-pointer) has CFI that computes the
// frame address from rbp, so without it the unwind would end there. The
// innermost frame-pointer frame saved (caller's rbp, return address) at
// rbp: the first stack slot A >= rsp holding such a pair — [A+8] a return
// address right after a call instruction, [A] a higher stack
// address whose own pair looks the same — is taken as rbp.
#include <cstdint>
#include <functional>
#include <optional>

#include "target/memory_reader.hpp"

namespace corostack {

// nullopt when no plausible pair lies within `search_bytes` above rsp.
// `into_same_function(ret)` says whether a return address points into the
// function whose frame is being recovered: such a pair is a stale frame of
// one of its earlier callees (they saved this very rbp), not its own.
std::optional<uint64_t> guess_frame_pointer(
    const MemoryReader& mem, uint64_t rsp,
    const std::function<bool(uint64_t)>& into_same_function = {},
    uint64_t search_bytes = 64 * 1024);

// True when the bytes before `ret` end with an x86-64 call instruction.
bool follows_call(const MemoryReader& mem, uint64_t ret);

}  // namespace corostack
