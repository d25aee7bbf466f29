// Core files: the ELF headers, the notes (NT_PRSTATUS, NT_PRPSINFO, NT_AUXV,
// NT_FILE, NT_SIGINFO, COROSTACK) and the memory map of a hostile core, then
// a bounded read of every mapping through CoreFile. The bytes go into a
// memfd so CoreFile::open sees a real file without touching the disk.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "fuzz_entry.hpp"
#include "target/core_file.hpp"
#include "target/core_headers.hpp"
#include "target/core_notes.hpp"
#include "target/elf_notes.hpp"

using namespace corostack;

namespace {

// Per mapping: the first and last bytes and one in the middle, in chunks
// small enough that an absurd memsz costs nothing.
void read_mapping(const MemoryReader& mem, const MemoryMap& m, std::vector<std::byte>& buf) {
  uint64_t size = m.end.value() - m.start.value();
  uint64_t offsets[] = {0, size / 2, size > buf.size() ? size - buf.size() : 0};
  for (uint64_t off : offsets) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - off));
    auto r = mem.read(RemoteAddr(m.start.value() + off), std::span(buf.data(), want));
    FUZZ_CHECK(r.bytes <= want);
  }
}

}  // namespace

FUZZ_ENTRY(fuzz_core_file) {
  auto bytes = std::as_bytes(std::span(data, size));

  // The pure parsers on their own: headers, then every note segment twice
  // (4- and 8-byte alignment) and as core notes.
  if (auto headers = read_core_headers(bytes)) {
    CoreNotes notes;
    for (auto seg : headers->note_segments) {
      FUZZ_CHECK(seg.data() >= bytes.data() && seg.data() + seg.size() <= bytes.data() + size);
      for (size_t align : {size_t{4}, size_t{8}}) {
        auto n = parse_elf_notes(seg, align);
        for (const ElfNote& note : n.notes)
          FUZZ_CHECK(note.desc.data() >= seg.data() &&
                     note.desc.data() + note.desc.size() <= seg.data() + seg.size());
      }
      parse_core_notes(seg, notes);
    }
    finish_core_notes(notes);
    for (size_t i = 1; i < notes.files.size(); ++i)
      FUZZ_CHECK(notes.files[i - 1].end <= notes.files[i].start);
  }
  // Raw bytes as one note segment too: most inputs never get past the headers.
  {
    CoreNotes notes;
    parse_core_notes(bytes, notes);
    finish_core_notes(notes);
  }

  int fd = ::memfd_create("fuzz-core", MFD_CLOEXEC);
  if (fd < 0) return 0;
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  if (done == size) {
    auto core = CoreFile::open("/proc/self/fd/" + std::to_string(fd));
    if (core) {
      CoreFile& c = **core;
      (void)c.fatal_signal();
      (void)c.command_name();
      (void)c.command_line();
      (void)c.exe_path();
      FUZZ_CHECK(!c.threads().empty());
      const auto& maps = c.maps();
      for (size_t i = 0; i < maps.size(); ++i) {
        FUZZ_CHECK(maps[i].start.value() <= maps[i].end.value());
        if (i > 0) FUZZ_CHECK(maps[i - 1].start.value() <= maps[i].start.value());
      }
      std::vector<std::byte> buf(4096);
      size_t budget = 256;  // mappings read per input
      for (const MemoryMap& m : maps) {
        if (budget-- == 0) break;
        read_mapping(c, m, buf);
        read_mapping(c.core_only(), m, buf);
      }
      auto cap = c.capture({});
      FUZZ_CHECK(cap.ok());
    }
  }
  ::close(fd);
  return 0;
}
