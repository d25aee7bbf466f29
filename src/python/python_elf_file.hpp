#pragma once
// What the Python locator needs from an interpreter's ELF file on disk: a few
// symbols (.dynsym, then .symtab), named sections, the first PT_LOAD (for the
// load bias) and bytes at a virtual address. Everything bounds-checked: the
// file is as untrusted as the target (it is whatever the target's path names).
#include <elf.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "target/mapped_file.hpp"

namespace corostack::python {

struct ElfSymbolHit {
  uint64_t value = 0;  // st_value: link-time virtual address
  uint64_t size = 0;
  std::string table;  // ".dynsym" or ".symtab"
};

class PythonElfFile {
 public:
  // kNotFound/kPermission/kIo from opening, kUnsupported when not 64-bit ELF.
  static Result<std::unique_ptr<PythonElfFile>> open(const std::string& host_path);

  const std::string& path() const { return file_->path(); }
  uint16_t type() const { return ehdr_.e_type; }  // ET_EXEC / ET_DYN
  bool has_symtab() const { return has_symtab_; }
  // Page-aligned p_vaddr of the first PT_LOAD, the address the offset-0
  // mapping corresponds to; nullopt when the file has no PT_LOAD.
  std::optional<uint64_t> first_load_vaddr() const { return first_load_vaddr_; }

  // Looks up defined data/function symbols by exact name, .dynsym first, then
  // .symtab (locals included: 3.6's interp_head is static). One bounded pass
  // per table for all names; names not found are absent from the map.
  std::map<std::string, ElfSymbolHit> find_symbols(const std::vector<std::string>& names) const;
  // Exported symbols only: looked up in .dynsym through its GNU hash table
  // (a few probes per name instead of a pass over ~15k symbols, which was
  // most of a Python dump's own work); a scan when the file has none.
  std::map<std::string, ElfSymbolHit> find_dynamic_symbols(
      const std::vector<std::string>& names) const;

  // The section header named `name`, if any.
  std::optional<Elf64_Shdr> section(const std::string& name) const;

  // Bytes of the file that the loader places at [vaddr, vaddr + out.size())
  // (PT_LOAD with file contents). False when not fully inside one segment's
  // file-backed part.
  bool read_vaddr(uint64_t vaddr, std::span<std::byte> out) const;

  // The file bytes of a section (empty for NOBITS or out-of-bounds headers).
  std::span<const std::byte> section_bytes(const Elf64_Shdr& shdr) const;

 private:
  PythonElfFile() = default;
  // Through the SHT_GNU_HASH section `hash` of symbol table `dynsym`; false
  // when the table is malformed (the caller then scans).
  bool hash_lookup(const Elf64_Shdr& hash, const Elf64_Shdr& dynsym,
                   const std::vector<std::string>& names,
                   std::map<std::string, ElfSymbolHit>* hits) const;
  void scan_table(const Elf64_Shdr& symtab, const char* table_name,
                  const std::vector<std::string>& names,
                  std::map<std::string, ElfSymbolHit>* hits) const;

  std::unique_ptr<MappedFile> file_;
  Elf64_Ehdr ehdr_{};
  std::vector<Elf64_Phdr> phdrs_;
  std::vector<Elf64_Shdr> shdrs_;
  std::span<const std::byte> shstrtab_;
  std::optional<uint64_t> first_load_vaddr_;
  bool has_symtab_ = false;
};

}  // namespace corostack::python
