#pragma once
// Builders for synthetic ELF images and core files used by the target-layer
// tests, plus a temporary directory. Test-only: no bounds checking needed.
#include <elf.h>
#include <stdlib.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "target/registers.hpp"

namespace corostack::testing {

using Bytes = std::vector<std::byte>;

template <typename T>
void put(Bytes& out, const T& v) {
  auto b = std::as_bytes(std::span(&v, 1));
  out.insert(out.end(), b.begin(), b.end());
}

template <typename T>
void put_at(Bytes& out, size_t off, const T& v) {
  if (out.size() < off + sizeof(T)) out.resize(off + sizeof(T));
  std::memcpy(out.data() + off, &v, sizeof(T));
}

inline Bytes bytes_of(std::string_view s) {
  auto b = std::as_bytes(std::span(s.data(), s.size()));
  return Bytes(b.begin(), b.end());
}

// `n` bytes where byte i is (seed + i) mod 251, so every offset is distinguishable.
inline Bytes pattern(size_t n, unsigned seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = std::byte((seed + i) % 251);
  return b;
}

inline void pad_to(Bytes& out, size_t align) {
  while (out.size() % align) out.push_back(std::byte{0});
}

// One ELF note: name and desc each padded to `align`.
inline Bytes make_note(std::string_view owner, uint32_t type, std::span<const std::byte> desc,
                       size_t align = 4) {
  Bytes n;
  put(n, uint32_t(owner.size() + 1));
  put(n, uint32_t(desc.size()));
  put(n, type);
  auto name = bytes_of(owner);
  n.insert(n.end(), name.begin(), name.end());
  n.push_back(std::byte{0});
  pad_to(n, align);
  n.insert(n.end(), desc.begin(), desc.end());
  pad_to(n, align);
  return n;
}

inline void write_file(const std::string& path, std::span<const std::byte> data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "corostack-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A two-page ELF image: page 0 (R) holds the headers and, by default, the
// notes; page 1 (R+X) can hold them instead, at a virtual address `shift`
// further than its file offset implies. Section headers describe the notes too.
struct TestElf {
  static constexpr uint64_t kPage = 0x1000;
  uint16_t type = ET_DYN;
  uint64_t base_vaddr = 0;  // vaddr of file offset 0
  uint64_t shift = 0;       // extra vaddr distance of page 1
  Bytes build_id = pattern(20, 7);
  bool notes_in_phdr = true;
  bool notes_in_section = true;
  bool notes_in_page1 = false;
  // Puts an 8-aligned property note with a 12-byte desc before the build-id,
  // so that reading with 4-byte alignment would land in the wrong place.
  bool align8_with_property = false;

  uint64_t note_offset() const { return notes_in_page1 ? kPage + 0x200 : 0x200; }
  uint64_t page1_vaddr() const { return base_vaddr + kPage + shift; }

  Bytes notes() const {
    size_t align = align8_with_property ? 8 : 4;
    Bytes n;
    if (align8_with_property) {
      Bytes prop = pattern(12, 1);
      auto p = make_note("GNU", NT_GNU_PROPERTY_TYPE_0, prop, 8);
      n.insert(n.end(), p.begin(), p.end());
    } else {
      Bytes abi(16, std::byte{0});
      auto p = make_note("GNU", NT_GNU_ABI_TAG, abi);
      n.insert(n.end(), p.begin(), p.end());
    }
    if (!build_id.empty()) {
      auto b = make_note("GNU", NT_GNU_BUILD_ID, build_id, align);
      n.insert(n.end(), b.begin(), b.end());
    }
    return n;
  }

  Bytes build() const {
    Bytes img(2 * kPage, std::byte{0});
    Bytes n = notes();
    std::memcpy(img.data() + note_offset(), n.data(), n.size());
    uint64_t note_vaddr = notes_in_page1 ? page1_vaddr() + 0x200 : base_vaddr + note_offset();
    std::vector<Elf64_Phdr> ph;
    ph.push_back({PT_LOAD, PF_R, 0, base_vaddr, base_vaddr, kPage, kPage, kPage});
    ph.push_back({PT_LOAD, PF_R | PF_X, kPage, page1_vaddr(), page1_vaddr(), kPage, kPage, kPage});
    if (notes_in_phdr)
      ph.push_back({PT_NOTE, PF_R, note_offset(), note_vaddr, note_vaddr, n.size(), n.size(),
                    align8_with_property ? 8u : 4u});
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = type;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_entry = page1_vaddr();
    eh.e_phoff = sizeof(Elf64_Ehdr);
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = uint16_t(ph.size());
    eh.e_shentsize = sizeof(Elf64_Shdr);
    if (notes_in_section) {
      // Section table in the unused end of page 1: a null section and the notes.
      eh.e_shoff = 2 * kPage - 2 * sizeof(Elf64_Shdr);
      eh.e_shnum = 2;
      Elf64_Shdr note{};
      note.sh_type = SHT_NOTE;
      note.sh_offset = note_offset();
      note.sh_size = n.size();
      note.sh_addralign = align8_with_property ? 8 : 4;
      put_at(img, eh.e_shoff + sizeof(Elf64_Shdr), note);
    }
    put_at(img, 0, eh);
    for (size_t i = 0; i < ph.size(); ++i) put_at(img, eh.e_phoff + i * sizeof(Elf64_Phdr), ph[i]);
    return img;
  }
};

// A core file assembled from notes and PT_LOAD segments, laid out as
// Ehdr, program headers, note segments, then segment contents.
struct CoreBuilder {
  struct Load {
    uint64_t vaddr;
    uint64_t memsz;
    uint32_t flags;
    Bytes data;  // p_filesz = data.size()
  };
  struct FileEntry {
    uint64_t start, end, page_offset;
    std::string path;
  };

  uint8_t elf_class = ELFCLASS64;
  uint16_t machine = EM_X86_64;
  uint16_t type = ET_CORE;
  bool pn_xnum = false;  // store the program header count in section header 0
  std::vector<Bytes> note_segments{Bytes{}};
  std::vector<Load> loads;

  void note(std::string_view owner, uint32_t ntype, std::span<const std::byte> desc,
            size_t segment = 0) {
    if (note_segments.size() <= segment) note_segments.resize(segment + 1);
    auto n = make_note(owner, ntype, desc);
    note_segments[segment].insert(note_segments[segment].end(), n.begin(), n.end());
  }
  void raw_note_bytes(std::span<const std::byte> raw, size_t segment = 0) {
    if (note_segments.size() <= segment) note_segments.resize(segment + 1);
    note_segments[segment].insert(note_segments[segment].end(), raw.begin(), raw.end());
  }
  void prstatus(pid_t tid, const X86_64Regs& regs, int16_t cursig = 0, size_t segment = 0) {
    Bytes d(336, std::byte{0});
    put_at(d, 12, cursig);
    put_at(d, 32, int32_t(tid));
    put_at(d, 112, regs);
    note("CORE", NT_PRSTATUS, d, segment);
  }
  void prpsinfo(pid_t pid, std::string_view fname, std::string_view psargs, char sname = 'R') {
    Bytes d(136, std::byte{0});
    d[1] = std::byte(sname);
    put_at(d, 24, int32_t(pid));
    std::memcpy(d.data() + 40, fname.data(), std::min<size_t>(fname.size(), 16));
    std::memcpy(d.data() + 56, psargs.data(), std::min<size_t>(psargs.size(), 80));
    note("CORE", NT_PRPSINFO, d);
  }
  void auxv(const std::vector<std::pair<uint64_t, uint64_t>>& entries) {
    Bytes d;
    for (auto [t, v] : entries) {
      put(d, t);
      put(d, v);
    }
    put(d, uint64_t(AT_NULL));
    put(d, uint64_t(0));
    note("CORE", NT_AUXV, d);
  }
  void file_note(const std::vector<FileEntry>& files, uint64_t page_size = 4096) {
    Bytes d;
    put(d, uint64_t(files.size()));
    put(d, page_size);
    for (const auto& f : files) {
      put(d, f.start);
      put(d, f.end);
      put(d, f.page_offset);
    }
    for (const auto& f : files) {
      auto p = bytes_of(f.path);
      d.insert(d.end(), p.begin(), p.end());
      d.push_back(std::byte{0});
    }
    note("CORE", NT_FILE, d);
  }
  void siginfo(int32_t signo) {
    Bytes d(128, std::byte{0});
    put_at(d, 0, signo);
    note("CORE", NT_SIGINFO, d);
  }
  void load(uint64_t vaddr, Bytes data, uint64_t memsz = 0, uint32_t flags = PF_R | PF_W) {
    if (memsz == 0) memsz = data.size();
    loads.push_back({vaddr, memsz, flags, std::move(data)});
  }

  Bytes build() const {
    size_t nphdr = note_segments.size() + loads.size();
    size_t shdr_size = pn_xnum ? sizeof(Elf64_Shdr) : 0;
    uint64_t off = sizeof(Elf64_Ehdr) + nphdr * sizeof(Elf64_Phdr) + shdr_size;
    std::vector<Elf64_Phdr> ph;
    Bytes body;
    for (const Bytes& n : note_segments) {
      ph.push_back({PT_NOTE, 0, off + body.size(), 0, 0, n.size(), 0, 4});
      body.insert(body.end(), n.begin(), n.end());
    }
    for (const Load& l : loads) {
      ph.push_back({PT_LOAD, l.flags, off + body.size(), l.vaddr, 0, l.data.size(), l.memsz, 1});
      body.insert(body.end(), l.data.begin(), l.data.end());
    }
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = elf_class;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = type;
    eh.e_machine = machine;
    eh.e_version = EV_CURRENT;
    eh.e_phoff = sizeof(Elf64_Ehdr);
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = pn_xnum ? PN_XNUM : uint16_t(nphdr);
    Bytes out;
    put(out, eh);
    for (const auto& p : ph) put(out, p);
    if (pn_xnum) {
      Elf64_Shdr sh0{};
      sh0.sh_info = uint32_t(nphdr);
      size_t at = out.size();
      put(out, sh0);
      Elf64_Ehdr fixed = eh;
      fixed.e_shoff = at;
      fixed.e_shentsize = sizeof(Elf64_Shdr);
      fixed.e_shnum = 1;
      put_at(out, 0, fixed);
    }
    out.insert(out.end(), body.begin(), body.end());
    return out;
  }

  std::string write(const TempDir& dir, const std::string& name = "test.core") const {
    std::string path = dir.file(name);
    write_file(path, build());
    return path;
  }
};

inline X86_64Regs regs_with(uint64_t rip, uint64_t rsp) {
  X86_64Regs r{};
  r.rip = rip;
  r.rsp = rsp;
  r.rbp = rsp + 0x40;
  return r;
}

}  // namespace corostack::testing
