#include "target/core_dump_layout.hpp"

#include <elf.h>

#include <algorithm>
#include <cstring>

#include "base/checked.hpp"
#include "base/pages.hpp"

namespace corostack {
namespace {

bool is_deleted_file(const MemoryMap& m) {
  return m.path.ends_with(" (deleted)");
}

uint32_t segment_flags(const MemoryMap& m) {
  return (m.readable ? PF_R : 0) | (m.writable ? PF_W : 0) | (m.executable ? PF_X : 0);
}

uint64_t extent_bytes(DumpExtent e, const MemoryMap& m) {
  switch (e) {
    case DumpExtent::kNone:
      return 0;
    case DumpExtent::kFirstPage:
      return std::min(kPageSize, m.size());
    case DumpExtent::kWhole:
      return m.size();
  }
  return 0;
}

bool is_excluded(const MemoryMap& m, const std::vector<DumpExclusion>& excluded) {
  auto it = std::upper_bound(excluded.begin(), excluded.end(), m.start.value(),
                             [](uint64_t addr, const DumpExclusion& e) { return addr < e.start; });
  if (it == excluded.begin()) return false;
  --it;
  return it->start <= m.start.value() && m.end.value() <= it->end;
}

}  // namespace

DumpExtent dump_extent(const MemoryMap& m, bool include_file_backed) {
  if (!m.readable) return DumpExtent::kNone;
  // Kernel pages mapped into every process; [vvar] is not even readable
  // through process_vm_readv, and [vsyscall] lies outside the normal range.
  if (m.path == "[vvar]" || m.path == "[vvar_vclock]" || m.path == "[vsyscall]")
    return DumpExtent::kNone;
  if (!m.is_file_backed()) return DumpExtent::kWhole;  // anonymous, [heap], [stack], [vdso]
  // A deleted file (memfd, SysV or MAP_SHARED|MAP_ANONYMOUS memory, a
  // replaced binary) cannot be read back from disk by whoever opens the core.
  if (include_file_backed || is_deleted_file(m)) return DumpExtent::kWhole;
  if (m.writable && !m.shared) return DumpExtent::kWhole;  // .data/.bss: may differ from the file
  if (m.file_offset == 0) return DumpExtent::kFirstPage;
  return DumpExtent::kNone;
}

bool is_relocated_readonly(const MemoryMap& m, const MemoryMap* next) {
  if (!next || !m.is_file_backed() || m.shared || m.writable || m.executable) return false;
  return next->start == m.end && next->inode == m.inode && next->path == m.path && next->writable &&
         !next->shared && next->file_offset == m.file_offset + m.size();
}

DumpLayout plan_dump_layout(const std::vector<MemoryMap>& maps, uint64_t notes_size,
                            bool include_file_backed, const std::vector<DumpExclusion>& excluded) {
  DumpLayout layout;
  uint64_t phnum = 1 + maps.size();
  uint64_t headers = sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr);
  if (phnum >= PN_XNUM) headers += sizeof(Elf64_Shdr);
  layout.notes_offset = headers;
  layout.notes_size = notes_size;
  uint64_t offset = align_up(headers + notes_size, kPageSize);
  layout.segments.reserve(maps.size());
  for (size_t i = 0; i < maps.size(); ++i) {
    const MemoryMap& m = maps[i];
    DumpExtent extent = dump_extent(m, include_file_backed);
    const MemoryMap* next = i + 1 < maps.size() ? &maps[i + 1] : nullptr;
    if (extent != DumpExtent::kWhole && m.readable && is_relocated_readonly(m, next))
      extent = DumpExtent::kWhole;
    if (is_excluded(m, excluded)) extent = DumpExtent::kNone;
    DumpSegment seg;
    seg.map = m;
    seg.file_offset = offset;
    seg.file_size = extent_bytes(extent, m);
    seg.zero_pages_are_holes =
        extent == DumpExtent::kWhole && !m.is_file_backed() && !m.shared && m.path != "[vdso]";
    offset += align_up(seg.file_size, kPageSize);
    layout.segments.push_back(std::move(seg));
  }
  layout.file_size = offset;
  return layout;
}

std::vector<std::byte> build_dump_headers(const DumpLayout& layout) {
  uint64_t phnum = 1 + layout.segments.size();
  bool extended = phnum >= PN_XNUM;
  std::vector<std::byte> out(layout.notes_offset);
  std::byte* p = out.data();

  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
  eh.e_type = ET_CORE;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = static_cast<Elf64_Half>(extended ? PN_XNUM : phnum);
  uint64_t shdr_offset = sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr);
  if (extended) {
    // The real count lives in section header 0's sh_info (ELF extended numbering).
    eh.e_shoff = shdr_offset;
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = 1;
    eh.e_shstrndx = SHN_UNDEF;
  }
  std::memcpy(p, &eh, sizeof eh);

  Elf64_Phdr note{};
  note.p_type = PT_NOTE;
  note.p_offset = layout.notes_offset;
  note.p_filesz = layout.notes_size;
  note.p_align = 4;
  std::memcpy(p + sizeof eh, &note, sizeof note);

  std::byte* ph = p + sizeof eh + sizeof note;
  for (const DumpSegment& s : layout.segments) {
    Elf64_Phdr load{};
    load.p_type = PT_LOAD;
    load.p_flags = segment_flags(s.map);
    load.p_offset = s.file_offset;
    load.p_vaddr = s.map.start.value();
    load.p_filesz = s.file_size;
    load.p_memsz = s.map.size();
    load.p_align = kPageSize;
    std::memcpy(ph, &load, sizeof load);
    ph += sizeof load;
  }
  if (extended) {
    Elf64_Shdr sh{};
    sh.sh_info = static_cast<Elf64_Word>(phnum);
    std::memcpy(p + shdr_offset, &sh, sizeof sh);
  }
  return out;
}

}  // namespace corostack
