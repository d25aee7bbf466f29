#pragma once
// A libdwfl session over any Target: modules reported from the target's own
// map list (so live processes, cores and fakes share one code path), and
// thread state served from a Capture through custom thread callbacks.
#include <elfutils/libdwfl.h>

#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "target/target.hpp"

namespace corostack {

class DwflSession {
 public:
  // Reports one module per mapped ELF file. Files that cannot be opened are
  // skipped with a warning; their frames will have addresses but no names.
  static Result<std::unique_ptr<DwflSession>> create(const Target& target);
  ~DwflSession();
  DwflSession(const DwflSession&) = delete;
  DwflSession& operator=(const DwflSession&) = delete;

  Dwfl* dwfl() const { return dwfl_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

  // libdwfl attaches thread callbacks once per Dwfl; what they serve (the
  // capture being unwound) is kept here so that one session can unwind
  // capture after capture (the sampler). Owned by unwind_threads.
  std::shared_ptr<void>& unwind_state() { return unwind_state_; }

 private:
  DwflSession() = default;
  Dwfl* dwfl_ = nullptr;
  std::vector<std::string> warnings_;
  // Released by ~DwflSession after dwfl_end, which may still call back.
  std::shared_ptr<void> unwind_state_;
};

// Start address of the first mapping of each ELF file, with the file's path.
struct ModuleLoad {
  MemoryMap first;  // the mapping at file offset 0: where the ELF image starts
  RemoteAddr end;   // end of the last mapping of the same file
};
std::vector<ModuleLoad> module_loads(const std::vector<MemoryMap>& maps);

}  // namespace corostack
