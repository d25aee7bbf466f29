#pragma once
// Reads a traced process's memory as it is now, uncached: the decoders read
// arguments at a stop, when the bytes they point at may have changed since
// the last stop. process_vm_readv, then /proc/PID/mem when that is refused
// (kernels without CONFIG_CROSS_MEMORY_ATTACH).
#include <sys/types.h>

#include "target/memory_reader.hpp"

namespace corostack::trace {

class VmReader final : public MemoryReader {
 public:
  explicit VmReader(pid_t pid) : pid_(pid) {}
  ~VmReader() override;
  VmReader(const VmReader&) = delete;
  VmReader& operator=(const VmReader&) = delete;
  ReadResult read(RemoteAddr addr, std::span<std::byte> out) const override;

 private:
  pid_t pid_;
  mutable int mem_fd_ = -1;
  mutable bool vm_readv_works_ = true;
};

}  // namespace corostack::trace
