#pragma once
// Bounds-checked access to the headers of a 64-bit ELF image held in local
// memory (a mapped file). Headers are copied out, never cast in place: an
// untrusted file may put them at unaligned or out-of-range offsets.
#include <elf.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/result.hpp"

namespace corostack {

// True when the bytes start with \x7fELF.
bool has_elf_magic(std::span<const std::byte> image);

// The ELF header of a 64-bit little-endian image, or nullopt for anything else
// (not ELF, truncated, 32-bit, big-endian).
std::optional<Elf64_Ehdr> read_elf64_header(std::span<const std::byte> image);

// Program headers, following the PN_XNUM escape (e_phnum == 0xffff means the
// real count is in section header 0's sh_info). kCorrupt when they do not fit.
Result<std::vector<Elf64_Phdr>> read_program_headers(std::span<const std::byte> image,
                                                     const Elf64_Ehdr& ehdr, size_t max_count);

// Section headers (e_shnum == 0 with a section table means the count is in
// section header 0's sh_size). Empty when absent or out of bounds.
std::vector<Elf64_Shdr> read_section_headers(std::span<const std::byte> image,
                                             const Elf64_Ehdr& ehdr, size_t max_count);

// p_flags of the PT_LOAD the loader maps at page-aligned file offset
// `file_offset`, i.e. the permissions of that mapping in a process.
std::optional<uint32_t> load_flags_at_offset(std::span<const std::byte> image,
                                             uint64_t file_offset);

}  // namespace corostack
