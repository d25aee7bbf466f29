#include "target/elf_notes.hpp"

#include <algorithm>
#include <cstring>

#include "base/byte_cursor.hpp"
#include "base/checked.hpp"

namespace corostack {

ElfNotes parse_elf_notes(std::span<const std::byte> data, size_t align, size_t max_notes) {
  ElfNotes out;
  uint64_t off = 0;
  while (off < data.size()) {
    if (out.notes.size() >= max_notes) {
      out.error = "more than " + std::to_string(max_notes) + " notes; the rest are ignored";
      break;
    }
    // Writers may pad a segment with zeros after the last note.
    auto rest = data.subspan(off);
    if (rest[0] == std::byte{0} &&
        std::all_of(rest.begin(), rest.end(), [](std::byte b) { return b == std::byte{0}; }))
      break;
    auto namesz = read_at<uint32_t>(data, off);
    auto descsz = read_at<uint32_t>(data, off + 4);
    auto type = read_at<uint32_t>(data, off + 8);
    if (!namesz || !descsz || !type) {
      out.error = "truncated note header at offset " + std::to_string(off);
      break;
    }
    // namesz and descsz are 32-bit and off is bounded by the span, so none of
    // these sums can overflow 64 bits; the bounds checks below are what matter.
    uint64_t name_off = off + 12;
    uint64_t desc_off = align_up(name_off + *namesz, align);
    uint64_t desc_end = desc_off + *descsz;
    if (!range_within(name_off, *namesz, data.size()) || desc_end > data.size()) {
      out.error = "note at offset " + std::to_string(off) + " claims name size " +
                  std::to_string(*namesz) + " and desc size " + std::to_string(*descsz) +
                  ", past the end of its " + std::to_string(data.size()) + "-byte segment";
      break;
    }
    ElfNote note;
    note.offset = off;
    note.type = *type;
    const char* name = reinterpret_cast<const char*>(data.data() + name_off);
    note.name = std::string_view(name, strnlen(name, *namesz));
    note.desc = data.subspan(desc_off, *descsz);
    out.notes.push_back(note);
    off = align_up(desc_end, align);  // may step past the end when the last pad is missing
  }
  return out;
}

}  // namespace corostack
