#pragma once
// The address space recorded in a core: bytes the core holds (PT_LOAD file
// contents), and pages it left out but whose backing file it names (NT_FILE),
// which are read from that file on disk. Kernel cores omit unmodified
// file-backed pages by default; gdb's gcore omits whole read-only mappings.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "target/core_notes.hpp"
#include "target/mapped_file.hpp"
#include "target/memory_reader.hpp"

namespace corostack {

// One PT_LOAD: [vaddr, vaddr+memsz) in the process, of which the first
// `filesz` bytes are stored in the core at `offset`.
struct CoreSegment {
  uint64_t vaddr = 0;
  uint64_t memsz = 0;
  uint64_t filesz = 0;  // clamped to what the (possibly truncated) core really holds
  uint64_t offset = 0;
  uint32_t flags = 0;  // PF_R | PF_W | PF_X
  uint64_t end() const { return vaddr + memsz; }
};

class CoreMemory final : public MemoryReader {
 public:
  // Maps a path named by the core to one we can open (e.g. --exe for the executable).
  using PathResolver = std::function<std::string(const std::string&)>;

  // `segments` and `files` must be sorted by address and non-overlapping.
  CoreMemory(std::shared_ptr<const MappedFile> core, std::vector<CoreSegment> segments,
             std::vector<CoreFileMapping> files, PathResolver resolve);
  ~CoreMemory() override;
  CoreMemory(const CoreMemory&) = delete;  // core_only_ refers back to this object
  CoreMemory& operator=(const CoreMemory&) = delete;

  // Core bytes first, then the mapped files on disk; continues across segments.
  ReadResult read(RemoteAddr addr, std::span<std::byte> out) const override;
  // Only the bytes stored in the core: for comparing the core with files on disk.
  const MemoryReader& core_only() const { return core_only_; }

  const std::vector<CoreSegment>& segments() const { return segments_; }
  // Target::data_runs for a core: pages within its segments' file bytes that
  // are not holes of a sparse core (untouched memory, left unwritten: found
  // with SEEK_DATA / SEEK_HOLE). False when the file cannot be asked.
  bool data_runs(uint64_t start, uint64_t pages,
                 const std::function<void(uint64_t first, uint64_t count)>& on_run) const;
  const std::vector<CoreFileMapping>& files() const { return files_; }

 private:
  class CoreOnly final : public MemoryReader {
   public:
    explicit CoreOnly(const CoreMemory& m) : m_(m) {}
    ReadResult read(RemoteAddr addr, std::span<std::byte> out) const override {
      return m_.read_impl(addr, out, false);
    }

   private:
    const CoreMemory& m_;
  };

  ReadResult read_impl(RemoteAddr addr, std::span<std::byte> out, bool use_files) const;
  const CoreSegment* segment_at(uint64_t a) const;
  uint64_t next_segment_start(uint64_t a) const;
  const CoreFileMapping* file_at(uint64_t a) const;
  // Reads from a mapped file on disk; returns bytes read, sets `error` on a short read.
  size_t read_file(const CoreFileMapping& f, uint64_t a, std::span<std::byte> out,
                   ErrorKind& error) const;

  std::shared_ptr<const MappedFile> core_;
  std::vector<CoreSegment> segments_;
  std::vector<CoreFileMapping> files_;
  PathResolver resolve_;
  CoreOnly core_only_{*this};
  // Opened lazily, once per path; a negative value is the errno of the failed open.
  mutable std::map<std::string, int> fds_;
};

}  // namespace corostack
