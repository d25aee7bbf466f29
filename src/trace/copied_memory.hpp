#pragma once
// The bytes the in-kernel tracer copied out of a call's pointer arguments,
// seen as target memory: the shared argument decoders read a BPF record
// exactly as they read a stopped process under ptrace. Only copied bytes are
// readable; a pointer outside every copy reads as unmapped, so the decoders
// print it as an address, as strace does for memory it cannot read.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "target/memory_reader.hpp"

namespace corostack::trace {

// One copied argument: `bytes` are the target's bytes at `addr` when the call
// returned. Empty with `error` set (an errno) when the kernel could not read them.
struct BpfCopy {
  uint64_t addr = 0;
  std::vector<std::byte> bytes;
  int error = 0;
};

class CopiedMemory : public MemoryReader {
 public:
  // `copies` must outlive the reader (it is usually a record's copies).
  explicit CopiedMemory(std::span<const BpfCopy> copies) : copies_(copies) {}
  ReadResult read(RemoteAddr addr, std::span<std::byte> out) const override;

 private:
  std::span<const BpfCopy> copies_;
};

}  // namespace corostack::trace
