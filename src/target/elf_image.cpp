#include "target/elf_image.hpp"

#include <cstring>
#include <string>

#include "base/byte_cursor.hpp"
#include "base/checked.hpp"
#include "base/pages.hpp"

namespace corostack {
namespace {

// Sizes in an ELF file are trusted only after this many entries.
constexpr size_t kMaxSectionHeaders = 1 << 16;

// Reads `count` fixed-size records starting at `off`; nullopt when out of bounds.
template <typename T>
std::optional<std::vector<T>> read_table(std::span<const std::byte> image, uint64_t off,
                                         uint64_t count) {
  auto bytes = checked_mul(count, sizeof(T));
  if (!bytes || !range_within(off, *bytes, image.size())) return std::nullopt;
  std::vector<T> out(count);
  if (count > 0) std::memcpy(out.data(), image.data() + off, *bytes);
  return out;
}

}  // namespace

bool has_elf_magic(std::span<const std::byte> image) {
  return image.size() >= SELFMAG && std::memcmp(image.data(), ELFMAG, SELFMAG) == 0;
}

std::optional<Elf64_Ehdr> read_elf64_header(std::span<const std::byte> image) {
  if (!has_elf_magic(image)) return std::nullopt;
  auto ehdr = read_at<Elf64_Ehdr>(image, 0);
  if (!ehdr || ehdr->e_ident[EI_CLASS] != ELFCLASS64 || ehdr->e_ident[EI_DATA] != ELFDATA2LSB)
    return std::nullopt;
  return ehdr;
}

Result<std::vector<Elf64_Phdr>> read_program_headers(std::span<const std::byte> image,
                                                     const Elf64_Ehdr& ehdr, size_t max_count) {
  uint64_t count = ehdr.e_phnum;
  if (count == PN_XNUM) {
    auto sh0 = read_at<Elf64_Shdr>(image, ehdr.e_shoff);
    if (ehdr.e_shoff == 0 || !sh0)
      return make_error(ErrorKind::kCorrupt,
                        "program header count escape (PN_XNUM) without a section header");
    count = sh0->sh_info;
  }
  if (count == 0) return std::vector<Elf64_Phdr>{};
  if (ehdr.e_phentsize != sizeof(Elf64_Phdr))
    return make_error(ErrorKind::kCorrupt, "program header entry size " +
                                               std::to_string(ehdr.e_phentsize) + " (expected " +
                                               std::to_string(sizeof(Elf64_Phdr)) + ")");
  if (count > max_count)
    return make_error(ErrorKind::kCorrupt, std::to_string(count) +
                                               " program headers (more than the limit of " +
                                               std::to_string(max_count) + ")");
  auto table = read_table<Elf64_Phdr>(image, ehdr.e_phoff, count);
  if (!table)
    return make_error(ErrorKind::kCorrupt,
                      "truncated: " + std::to_string(count) + " program headers at offset " +
                          std::to_string(ehdr.e_phoff) + " run past the end of the file");
  return std::move(*table);
}

std::vector<Elf64_Shdr> read_section_headers(std::span<const std::byte> image,
                                             const Elf64_Ehdr& ehdr, size_t max_count) {
  if (ehdr.e_shoff == 0 || ehdr.e_shentsize != sizeof(Elf64_Shdr)) return {};
  uint64_t count = ehdr.e_shnum;
  if (count == 0) {
    auto sh0 = read_at<Elf64_Shdr>(image, ehdr.e_shoff);
    if (!sh0) return {};
    count = sh0->sh_size;
  }
  if (count > std::min(max_count, kMaxSectionHeaders)) return {};
  auto table = read_table<Elf64_Shdr>(image, ehdr.e_shoff, count);
  return table ? std::move(*table) : std::vector<Elf64_Shdr>{};
}

std::optional<uint32_t> load_flags_at_offset(std::span<const std::byte> image,
                                             uint64_t file_offset) {
  auto ehdr = read_elf64_header(image);
  if (!ehdr) return std::nullopt;
  auto phdrs = read_program_headers(image, *ehdr, 1024);
  if (!phdrs) return std::nullopt;
  // The loader maps each segment from its page-aligned file offset; a mapping
  // starting elsewhere is a piece of a segment split by a later mprotect.
  const Elf64_Phdr* containing = nullptr;
  for (const Elf64_Phdr& ph : *phdrs) {
    if (ph.p_type != PT_LOAD) continue;
    uint64_t start = align_down(ph.p_offset, kPageSize);
    if (start == file_offset) return ph.p_flags;
    auto end = checked_add(ph.p_offset, ph.p_filesz);
    if (!containing && end && file_offset > start && file_offset < *end) containing = &ph;
  }
  if (containing) return containing->p_flags;
  return std::nullopt;
}

}  // namespace corostack
