#pragma once
// GNU build-id (NT_GNU_BUILD_ID) of an ELF file, on disk or mapped in a
// target. Comparing the two tells whether the file on disk is the one that
// was loaded, i.e. whether its symbols describe the target's code.
#include <optional>
#include <span>
#include <string>

#include "base/remote_addr.hpp"
#include "target/memory_reader.hpp"

namespace corostack {

// Lowercase hex of the build-id of an ELF image held in memory: PT_NOTE
// segments first, then SHT_NOTE sections (for files whose notes are not in a
// segment). nullopt when the image is not 64-bit ELF or has no build-id.
std::optional<std::string> build_id_from_bytes(std::span<const std::byte> image);

// Same, for a file on disk. nullopt also when the file cannot be opened.
std::optional<std::string> build_id_from_file(const std::string& path);

// Same, for an ELF image whose header is at `elf_header` in a target's memory
// (the start of its offset-0 mapping). Works for ET_EXEC and ET_DYN: notes are
// located by their virtual address relative to the first PT_LOAD.
std::optional<std::string> build_id_from_memory(const MemoryReader& mem, RemoteAddr elf_header);

// Lowercase hex of arbitrary bytes.
std::string to_hex(std::span<const std::byte> bytes);

}  // namespace corostack
