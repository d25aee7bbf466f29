#include "target/core_headers.hpp"

#include <elf.h>

#include <algorithm>
#include <cstring>

#include "base/checked.hpp"
#include "target/elf_image.hpp"

namespace corostack {
namespace {

// One PT_LOAD per mapping; the kernel's default vm.max_map_count is 65530,
// and PN_XNUM cores can exceed it, but not by this much.
constexpr size_t kMaxCorePhdrs = 1 << 20;

std::string machine_name(uint16_t machine) {
  switch (machine) {
    case EM_386:
      return "i386";
    case EM_ARM:
      return "arm";
    case EM_AARCH64:
      return "aarch64";
    case EM_PPC64:
      return "ppc64";
    case EM_S390:
      return "s390";
    case EM_RISCV:
      return "riscv";
    case EM_LOONGARCH:
      return "loongarch";
    default:
      return "machine " + std::to_string(machine);
  }
}

std::string type_name(uint16_t type) {
  switch (type) {
    case ET_NONE:
      return "ET_NONE";
    case ET_REL:
      return "ET_REL, an object file";
    case ET_EXEC:
      return "ET_EXEC, an executable";
    case ET_DYN:
      return "ET_DYN, a shared object or PIE executable";
    default:
      return std::to_string(type);
  }
}

Status validate_header(std::span<const std::byte> image) {
  if (image.empty()) return make_error(ErrorKind::kCorrupt, "empty file (0 bytes): truncated?");
  size_t magic_len = std::min<size_t>(image.size(), SELFMAG);
  if (std::memcmp(image.data(), ELFMAG, magic_len) != 0)
    return make_error(ErrorKind::kCorrupt, "not an ELF file");
  if (image.size() < EI_NIDENT)
    return make_error(ErrorKind::kCorrupt,
                      "truncated ELF header (" + std::to_string(image.size()) + " bytes)");
  auto cls = static_cast<unsigned char>(image[EI_CLASS]);
  if (cls == ELFCLASS32)
    return make_error(ErrorKind::kUnsupported, "core of a 32-bit process is not supported");
  if (cls != ELFCLASS64)
    return make_error(ErrorKind::kCorrupt, "unknown ELF class " + std::to_string(cls));
  if (static_cast<unsigned char>(image[EI_DATA]) != ELFDATA2LSB)
    return make_error(ErrorKind::kUnsupported, "big-endian core is not supported");
  if (image.size() < sizeof(Elf64_Ehdr))
    return make_error(ErrorKind::kCorrupt,
                      "truncated ELF header (" + std::to_string(image.size()) + " bytes)");
  return ok_status();
}

}  // namespace

Result<CoreHeaders> read_core_headers(std::span<const std::byte> image) {
  if (auto st = validate_header(image); !st) return st.error();
  Elf64_Ehdr ehdr = *read_elf64_header(image);
  if (ehdr.e_machine != EM_X86_64)
    return make_error(ErrorKind::kUnsupported, "core for architecture " +
                                                   machine_name(ehdr.e_machine) +
                                                   " is not supported (only x86-64)");
  if (ehdr.e_type != ET_CORE)
    return make_error(ErrorKind::kUnsupported,
                      "not a core file (ELF type " + type_name(ehdr.e_type) + ")");
  auto phdrs = read_program_headers(image, ehdr, kMaxCorePhdrs);
  if (!phdrs) return phdrs.error();

  CoreHeaders layout;
  uint64_t missing = 0;  // bytes of memory that a truncated core lost
  for (const Elf64_Phdr& ph : *phdrs) {
    if (ph.p_type != PT_NOTE && ph.p_type != PT_LOAD) continue;
    // Keep what the file really holds: cores are often cut short by disk
    // space or RLIMIT_CORE, and the part that was written is still good.
    uint64_t present = 0;
    if (ph.p_offset < image.size()) present = std::min(ph.p_filesz, image.size() - ph.p_offset);
    missing += ph.p_filesz - present;
    if (ph.p_type == PT_NOTE) {
      if (present > 0) layout.note_segments.push_back(image.subspan(ph.p_offset, present));
      continue;
    }
    if (ph.p_memsz == 0 || !checked_add(ph.p_vaddr, ph.p_memsz)) continue;
    CoreSegment s;
    s.vaddr = ph.p_vaddr;
    s.memsz = ph.p_memsz;
    s.filesz = std::min(present, ph.p_memsz);
    s.offset = ph.p_offset;
    s.flags = ph.p_flags;
    layout.segments.push_back(s);
  }
  if (missing > 0)
    layout.warnings.push_back("the core is truncated: " + std::to_string(missing) +
                              " bytes of it are missing; some memory is unreadable");

  auto& segs = layout.segments;
  // Ties (only in hostile cores) keep the segment stored first in the file.
  // Not stable_sort: libstdc++ 12's uses get_temporary_buffer, which clang 19 flags.
  std::sort(segs.begin(), segs.end(), [](const CoreSegment& a, const CoreSegment& b) {
    return a.vaddr != b.vaddr ? a.vaddr < b.vaddr : a.offset < b.offset;
  });
  // Reads need disjoint segments; a well-formed core never overlaps them.
  size_t kept = 0;
  for (size_t i = 0; i < segs.size(); ++i) {
    if (kept > 0 && segs[i].vaddr < segs[kept - 1].end()) continue;
    segs[kept++] = segs[i];
  }
  if (kept != segs.size())
    layout.warnings.push_back(std::to_string(segs.size() - kept) +
                              " overlapping PT_LOAD segments ignored");
  segs.resize(kept);
  return layout;
}

}  // namespace corostack
