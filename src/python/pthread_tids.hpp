#pragma once
// Kernel TIDs of Python threads from their pthread_t, for versions that do not
// record the TID (≤ 3.10) when a thread has no registers to match by fs_base
// (dump --nonblocking leaves running threads unread). On x86-64 glibc a
// pthread_t is the address of the thread's `struct pthread`, which holds its
// TID at an offset that depends on the glibc build; the offset is found by
// vote: the one at which the most idents hold a TID of this process.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <unordered_set>
#include <vector>

#include "target/memory_reader.hpp"

namespace corostack::python {

// The offset of `tid` in struct pthread: glibc's usual 0x2d0 when it gets as
// many votes as any other, else the lowest offset with the most votes (a
// vote: an ident whose int32 there is a TID of `tids` no other ident has).
// nullopt when no offset gets a vote.
std::optional<uint64_t> pthread_tid_offset(const MemoryReader& mem,
                                           const std::vector<uint64_t>& idents,
                                           const std::unordered_set<pid_t>& tids);

// idents: pthread_t values; tids: the process's threads. Returns ident → TID
// for the idents that agree with the winning offset (same order as idents,
// nullopt where unknown).
std::vector<std::optional<pid_t>> pthread_tids(const MemoryReader& mem,
                                               const std::vector<uint64_t>& idents,
                                               const std::unordered_set<pid_t>& tids);

}  // namespace corostack::python
