#include "python/python_elf_file.hpp"

#include <cstring>
#include <string_view>

#include "base/byte_cursor.hpp"
#include "base/checked.hpp"
#include "base/pages.hpp"
#include "target/elf_image.hpp"

namespace corostack::python {
namespace {

constexpr size_t kMaxProgramHeaders = 4096;
constexpr size_t kMaxSectionHeaders = 1 << 16;
constexpr uint64_t kMaxSymbols = 4 << 20;  // a libpython has ~15k; distro builds < 100k
constexpr size_t kMaxSymbolName = 256;

// The NUL-terminated name at `off` in a string table, at most kMaxSymbolName
// bytes; empty view when out of bounds or unterminated.
std::string_view name_at(std::span<const std::byte> strtab, uint64_t off) {
  if (off >= strtab.size()) return {};
  const char* p = reinterpret_cast<const char*>(strtab.data() + off);
  size_t limit = std::min<uint64_t>(strtab.size() - off, kMaxSymbolName + 1);
  size_t n = strnlen(p, limit);
  if (n == limit) return {};
  return {p, n};
}

}  // namespace

Result<std::unique_ptr<PythonElfFile>> PythonElfFile::open(const std::string& host_path) {
  auto mapped = MappedFile::open(host_path);
  if (!mapped) return mapped.error();
  std::unique_ptr<PythonElfFile> elf(new PythonElfFile());
  elf->file_ = std::move(*mapped);
  std::span<const std::byte> image = elf->file_->bytes();
  auto ehdr = read_elf64_header(image);
  if (!ehdr) return make_error(ErrorKind::kUnsupported, host_path + ": not a 64-bit ELF file");
  elf->ehdr_ = *ehdr;
  auto phdrs = read_program_headers(image, *ehdr, kMaxProgramHeaders);
  if (!phdrs) return make_error(phdrs.error().kind, host_path + ": " + phdrs.error().message);
  elf->phdrs_ = std::move(*phdrs);
  for (const Elf64_Phdr& p : elf->phdrs_) {
    if (p.p_type == PT_LOAD) {
      elf->first_load_vaddr_ = align_down(p.p_vaddr, kPageSize);
      break;
    }
  }
  elf->shdrs_ = read_section_headers(image, *ehdr, kMaxSectionHeaders);
  if (ehdr->e_shstrndx < elf->shdrs_.size())
    elf->shstrtab_ = elf->section_bytes(elf->shdrs_[ehdr->e_shstrndx]);
  for (const Elf64_Shdr& s : elf->shdrs_)
    if (s.sh_type == SHT_SYMTAB) elf->has_symtab_ = true;
  return elf;
}

std::span<const std::byte> PythonElfFile::section_bytes(const Elf64_Shdr& shdr) const {
  std::span<const std::byte> image = file_->bytes();
  if (shdr.sh_type == SHT_NOBITS || !range_within(shdr.sh_offset, shdr.sh_size, image.size()))
    return {};
  return image.subspan(shdr.sh_offset, shdr.sh_size);
}

std::optional<Elf64_Shdr> PythonElfFile::section(const std::string& name) const {
  for (const Elf64_Shdr& s : shdrs_) {
    if (name_at(shstrtab_, s.sh_name) == name) return s;
  }
  return std::nullopt;
}

void PythonElfFile::scan_table(const Elf64_Shdr& symtab, const char* table_name,
                               const std::vector<std::string>& names,
                               std::map<std::string, ElfSymbolHit>* hits) const {
  if (symtab.sh_entsize != sizeof(Elf64_Sym) || symtab.sh_link >= shdrs_.size()) return;
  std::span<const std::byte> syms = section_bytes(symtab);
  std::span<const std::byte> strtab = section_bytes(shdrs_[symtab.sh_link]);
  uint64_t count = std::min<uint64_t>(syms.size() / sizeof(Elf64_Sym), kMaxSymbols);
  for (uint64_t i = 1; i < count; ++i) {
    auto sym = read_at<Elf64_Sym>(syms, i * sizeof(Elf64_Sym));
    if (!sym || sym->st_shndx == SHN_UNDEF || sym->st_value == 0) continue;
    unsigned type = ELF64_ST_TYPE(sym->st_info);
    if (type != STT_OBJECT && type != STT_FUNC && type != STT_NOTYPE) continue;
    std::string_view name = name_at(strtab, sym->st_name);
    if (name.empty()) continue;
    for (const std::string& wanted : names) {
      if (name == wanted && !hits->count(wanted))
        (*hits)[wanted] = ElfSymbolHit{sym->st_value, sym->st_size, table_name};
    }
  }
}

namespace {

// The GNU hash function (dl_new_hash): h = h * 33 + c from 5381.
uint32_t gnu_hash(std::string_view name) {
  uint32_t h = 5381;
  for (char c : name) h = h * 33 + static_cast<unsigned char>(c);
  return h;
}

}  // namespace

bool PythonElfFile::hash_lookup(const Elf64_Shdr& hash, const Elf64_Shdr& dynsym,
                                const std::vector<std::string>& names,
                                std::map<std::string, ElfSymbolHit>* hits) const {
  // Layout: nbuckets, symoffset, bloom_size, bloom_shift (uint32 each), then
  // bloom[bloom_size] (uint64), buckets[nbuckets] (uint32), chains (uint32,
  // one per symbol from symoffset on; the low bit ends a chain).
  std::span<const std::byte> table = section_bytes(hash);
  std::span<const std::byte> syms = section_bytes(dynsym);
  if (dynsym.sh_entsize != sizeof(Elf64_Sym) || dynsym.sh_link >= shdrs_.size()) return false;
  std::span<const std::byte> strtab = section_bytes(shdrs_[dynsym.sh_link]);
  auto nbuckets = read_at<uint32_t>(table, 0);
  auto symoffset = read_at<uint32_t>(table, 4);
  auto bloom_size = read_at<uint32_t>(table, 8);
  if (!nbuckets || !symoffset || !bloom_size || *nbuckets == 0) return false;
  const uint64_t buckets_at = 16 + uint64_t{8} * *bloom_size;
  const uint64_t chains_at = buckets_at + uint64_t{4} * *nbuckets;
  const uint64_t nsyms = syms.size() / sizeof(Elf64_Sym);
  if (chains_at > table.size()) return false;
  for (const std::string& wanted : names) {
    if (hits->count(wanted)) continue;
    uint32_t h = gnu_hash(wanted);
    auto first = read_at<uint32_t>(table, buckets_at + uint64_t{4} * (h % *nbuckets));
    if (!first) return false;
    if (*first == 0 || *first < *symoffset) continue;  // no symbol in this bucket
    for (uint64_t i = *first; i < nsyms && i - *first < kMaxSymbols; ++i) {
      auto chain = read_at<uint32_t>(table, chains_at + 4 * (i - *symoffset));
      if (!chain) return false;
      if ((*chain | 1) == (h | 1)) {
        auto sym = read_at<Elf64_Sym>(syms, i * sizeof(Elf64_Sym));
        if (sym && sym->st_shndx != SHN_UNDEF && sym->st_value != 0 &&
            name_at(strtab, sym->st_name) == wanted) {
          (*hits)[wanted] = ElfSymbolHit{sym->st_value, sym->st_size, ".dynsym"};
          break;
        }
      }
      if (*chain & 1) break;
    }
  }
  return true;
}

std::map<std::string, ElfSymbolHit> PythonElfFile::find_dynamic_symbols(
    const std::vector<std::string>& names) const {
  std::map<std::string, ElfSymbolHit> hits;
  for (const Elf64_Shdr& hash : shdrs_) {
    if (hash.sh_type != SHT_GNU_HASH || hash.sh_link >= shdrs_.size()) continue;
    const Elf64_Shdr& dynsym = shdrs_[hash.sh_link];
    if (dynsym.sh_type == SHT_DYNSYM && hash_lookup(hash, dynsym, names, &hits)) return hits;
  }
  for (const Elf64_Shdr& s : shdrs_)
    if (s.sh_type == SHT_DYNSYM) scan_table(s, ".dynsym", names, &hits);
  return hits;
}

std::map<std::string, ElfSymbolHit> PythonElfFile::find_symbols(
    const std::vector<std::string>& names) const {
  std::map<std::string, ElfSymbolHit> hits;
  for (uint32_t type : {uint32_t{SHT_DYNSYM}, uint32_t{SHT_SYMTAB}}) {
    for (const Elf64_Shdr& s : shdrs_) {
      if (s.sh_type != type) continue;
      scan_table(s, type == SHT_DYNSYM ? ".dynsym" : ".symtab", names, &hits);
    }
    if (hits.size() == names.size()) break;
  }
  return hits;
}

bool PythonElfFile::read_vaddr(uint64_t vaddr, std::span<std::byte> out) const {
  std::span<const std::byte> image = file_->bytes();
  for (const Elf64_Phdr& p : phdrs_) {
    if (p.p_type != PT_LOAD || vaddr < p.p_vaddr) continue;
    uint64_t rel = vaddr - p.p_vaddr;
    if (!range_within(rel, out.size(), p.p_filesz)) continue;
    auto off = checked_add(p.p_offset, rel);
    if (!off || !range_within(*off, out.size(), image.size())) return false;
    std::memcpy(out.data(), image.data() + *off, out.size());
    return true;
  }
  return false;
}

}  // namespace corostack::python
