#pragma once
// Serves reads from bytes copied during a capture (stack tops), and from the
// target for everything else. After a live target is resumed its stacks move
// on; the unwinder must see them as they were when registers were taken.
#include <vector>

#include "target/target.hpp"

namespace corostack {

class CapturedMemory final : public MemoryReader {
 public:
  CapturedMemory(const MemoryReader& backing, std::vector<CapturedRegion> regions);
  ReadResult read(RemoteAddr addr, std::span<std::byte> out) const override;

 private:
  const CapturedRegion* region_for(RemoteAddr addr) const;

  const MemoryReader& backing_;
  std::vector<CapturedRegion> regions_;  // sorted by start, non-overlapping
};

}  // namespace corostack
