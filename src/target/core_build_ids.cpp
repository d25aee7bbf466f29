#include "target/core_build_ids.hpp"

#include <elf.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "target/elf_build_id.hpp"

namespace corostack {
namespace {

// Checking is cheap per file, but a hostile NT_FILE could name millions.
constexpr size_t kMaxCheckedFiles = 4096;

// Start of the mapping of `path` at file offset 0 (where its ELF header is).
const CoreFileMapping* header_mapping(const CoreMemory& memory, const std::string& path) {
  for (const CoreFileMapping& f : memory.files()) {
    if (f.path == path && f.file_offset == 0) return &f;
  }
  return nullptr;
}

bool core_holds_elf_header(const CoreMemory& memory, uint64_t addr) {
  char magic[SELFMAG];
  auto r = memory.core_only().read(RemoteAddr(addr), std::as_writable_bytes(std::span(magic)));
  return r.complete(SELFMAG) && std::memcmp(magic, ELFMAG, SELFMAG) == 0;
}

bool mapped_executable(const CoreMemory& memory, const std::string& path) {
  for (const CoreFileMapping& f : memory.files()) {
    if (f.path != path) continue;
    for (const CoreSegment& s : memory.segments()) {
      if ((s.flags & PF_X) && s.vaddr < f.end && s.end() > f.start) return true;
    }
  }
  return false;
}

}  // namespace

Status check_exe_override(const CoreMemory& memory, const std::string& exe_path,
                          const std::string& exe_override, std::vector<std::string>& warnings) {
  struct stat st {};
  if (::stat(exe_override.c_str(), &st) != 0) {
    int e = errno;
    if (e == ENOENT || e == ENOTDIR)
      return make_error(ErrorKind::kNotFound, "--exe " + exe_override + ": no such file");
    return make_error(ErrorKind::kIo, "--exe " + exe_override + ": " + std::strerror(e));
  }
  const CoreFileMapping* header = exe_path.empty() ? nullptr : header_mapping(memory, exe_path);
  if (!header) {
    warnings.push_back("cannot check --exe " + exe_override +
                       ": the core does not record where the executable was mapped");
    return ok_status();
  }
  auto disk = build_id_from_file(exe_override);
  // Only bytes stored in the core count: reading through the file fallback
  // would read the --exe file itself and always agree.
  auto core = build_id_from_memory(memory.core_only(), RemoteAddr(header->start));
  if (disk && core && *disk != *core)
    return make_error(
        ErrorKind::kUsage,
        "--exe " + exe_override + " does not match the core: build-id " + *disk + " vs " + *core);
  if (!disk || !core)
    warnings.push_back("cannot check --exe " + exe_override + " against the core: no build-id " +
                       (!disk ? "in the file" : "in the core"));
  return ok_status();
}

std::vector<std::string> mapped_file_warnings(const CoreMemory& memory,
                                              const CoreMemory::PathResolver& resolve,
                                              const std::string& skip_path) {
  std::vector<std::string> warnings;
  std::set<std::string> seen;
  for (const CoreFileMapping& f : memory.files()) {
    if (f.file_offset != 0 || f.path == skip_path || !seen.insert(f.path).second) continue;
    if (seen.size() > kMaxCheckedFiles) break;
    std::string host = resolve(f.path);
    struct stat st {};
    if (::stat(host.c_str(), &st) != 0) {
      // Data files (locales, shared memory) lack symbols anyway; only code matters.
      if (core_holds_elf_header(memory, f.start) || mapped_executable(memory, f.path))
        warnings.push_back(f.path + ": not found; frames in it will lack symbols");
      continue;
    }
    auto core = build_id_from_memory(memory.core_only(), RemoteAddr(f.start));
    if (!core) continue;
    auto disk = build_id_from_file(host);
    if (disk != core)
      warnings.push_back("build-id of " + f.path + " differs from the one in the core (disk " +
                         disk.value_or("none") + ", core " + *core + "); its frames may be wrong");
  }
  return warnings;
}

}  // namespace corostack
