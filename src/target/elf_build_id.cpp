#include "target/elf_build_id.hpp"

#include <elf.h>

#include <vector>

#include "base/checked.hpp"
#include "target/elf_image.hpp"
#include "target/elf_notes.hpp"
#include "target/mapped_file.hpp"

namespace corostack {
namespace {

// Real build-ids are 16 (md5, uuid), 20 (sha1) or 32 bytes; anything far
// larger is corruption, not an identifier worth printing.
constexpr size_t kMaxBuildIdBytes = 256;
// Limits for images read from a target, whose headers may be garbage.
constexpr size_t kMaxPhdrs = 256;
constexpr uint64_t kMaxNoteBytes = 64 * 1024;
// Limit for images on disk (ordinary files can have many segments).
constexpr size_t kMaxFilePhdrs = 4096;

std::optional<std::string> build_id_in_notes(std::span<const std::byte> data, size_t align) {
  for (const ElfNote& note : parse_elf_notes(data, align).notes) {
    if (note.name == "GNU" && note.type == NT_GNU_BUILD_ID && !note.desc.empty() &&
        note.desc.size() <= kMaxBuildIdBytes)
      return to_hex(note.desc);
  }
  return std::nullopt;
}

}  // namespace

std::string to_hex(std::span<const std::byte> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (std::byte b : bytes) {
    auto v = static_cast<unsigned>(b);
    s += kDigits[v >> 4];
    s += kDigits[v & 15];
  }
  return s;
}

std::optional<std::string> build_id_from_bytes(std::span<const std::byte> image) {
  auto ehdr = read_elf64_header(image);
  if (!ehdr) return std::nullopt;
  if (auto phdrs = read_program_headers(image, *ehdr, kMaxFilePhdrs)) {
    for (const Elf64_Phdr& ph : *phdrs) {
      if (ph.p_type != PT_NOTE || !range_within(ph.p_offset, ph.p_filesz, image.size())) continue;
      auto id =
          build_id_in_notes(image.subspan(ph.p_offset, ph.p_filesz), note_alignment(ph.p_align));
      if (id) return id;
    }
  }
  for (const Elf64_Shdr& sh : read_section_headers(image, *ehdr, kMaxFilePhdrs)) {
    if (sh.sh_type != SHT_NOTE || !range_within(sh.sh_offset, sh.sh_size, image.size())) continue;
    auto id =
        build_id_in_notes(image.subspan(sh.sh_offset, sh.sh_size), note_alignment(sh.sh_addralign));
    if (id) return id;
  }
  return std::nullopt;
}

std::optional<std::string> build_id_from_file(const std::string& path) {
  auto file = MappedFile::open(path);
  if (!file) return std::nullopt;
  return build_id_from_bytes((*file)->bytes());
}

std::optional<std::string> build_id_from_memory(const MemoryReader& mem, RemoteAddr elf_header) {
  auto ehdr = mem.read_value<Elf64_Ehdr>(elf_header);
  if (!ehdr) return std::nullopt;
  auto header_bytes = std::as_bytes(std::span(&*ehdr, 1));
  if (!read_elf64_header(header_bytes)) return std::nullopt;
  if (ehdr->e_phentsize != sizeof(Elf64_Phdr) || ehdr->e_phnum == 0 || ehdr->e_phnum > kMaxPhdrs)
    return std::nullopt;
  auto phoff = checked_add(elf_header.value(), ehdr->e_phoff);
  if (!phoff) return std::nullopt;
  std::vector<Elf64_Phdr> phdrs(ehdr->e_phnum);
  auto phdr_bytes = std::as_writable_bytes(std::span(phdrs));
  if (!mem.read(RemoteAddr(*phoff), phdr_bytes).complete(phdr_bytes.size())) return std::nullopt;

  // The link-time address of file offset 0. The first PT_LOAD maps the file
  // from offset 0 (up to page alignment), so the ELF header sits there; every
  // other address moves by the same load bias (0 for ET_EXEC).
  uint64_t image_base = 0;
  bool have_load = false;
  for (const Elf64_Phdr& ph : phdrs) {
    if (ph.p_type == PT_LOAD) {
      image_base = ph.p_vaddr - ph.p_offset;  // wraps harmlessly for bogus headers
      have_load = true;
      break;
    }
  }
  std::vector<std::byte> notes;
  for (const Elf64_Phdr& ph : phdrs) {
    if (ph.p_type != PT_NOTE || ph.p_filesz == 0) continue;
    // Without a PT_LOAD the image is laid out as in the file.
    uint64_t rel = have_load ? ph.p_vaddr - image_base : ph.p_offset;
    auto addr = checked_add(elf_header.value(), rel);
    if (!addr) continue;
    notes.resize(std::min(ph.p_filesz, kMaxNoteBytes));
    auto r = mem.read(RemoteAddr(*addr), notes);
    // A partial segment may still hold the build-id note, which comes first.
    auto id = build_id_in_notes(std::span(notes).first(r.bytes), note_alignment(ph.p_align));
    if (id) return id;
  }
  return std::nullopt;
}

}  // namespace corostack
