#pragma once
// The file a core is written to: created as "<path>.tmp" and renamed over
// <path> only once complete, so a reader never sees half a core and a failed
// or interrupted write leaves nothing behind (except after SIGKILL: the
// .tmp then stays, and the next write replaces it).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace corostack {

class CoreOutputFile {
 public:
  explicit CoreOutputFile(std::string path);
  CoreOutputFile(const CoreOutputFile&) = delete;
  CoreOutputFile& operator=(const CoreOutputFile&) = delete;
  ~CoreOutputFile();  // removes the temp file unless committed

  Status open();
  int fd() const { return fd_; }
  Status write_at(uint64_t offset, const std::vector<std::byte>& bytes);
  // Sets the final size (the tail may be a hole), closes and renames.
  Status commit(uint64_t size);
  // commit() in two steps, for a writer that may not rename (the sandboxed
  // gcore child): finish() sets the size and closes; rename_into_place(),
  // in the process that created the file, publishes it.
  Status finish(uint64_t size);
  Status rename_into_place();
  // Closes and removes the temporary file (the publisher's "no").
  void discard();

 private:
  std::string path_, tmp_;
  int fd_ = -1;
  bool created_ = false, committed_ = false;
};

}  // namespace corostack
