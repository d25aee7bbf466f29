#pragma once
// Iteration over ELF notes (PT_NOTE segments, SHT_NOTE sections, core notes).
// The bytes are untrusted: a note whose sizes run past the end stops the walk
// and is reported, instead of being read.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace corostack {

struct ElfNote {
  std::string_view name;  // owner without its terminating NUL: "CORE", "GNU", "LINUX"
  uint32_t type = 0;
  std::span<const std::byte> desc;
  size_t offset = 0;  // of the note header within the parsed bytes, for messages
};

struct ElfNotes {
  std::vector<ElfNote> notes;  // views into the parsed bytes
  std::string error;           // set when a malformed note ended the walk early
};

// Every limit is a guard against hostile input, not a format limit.
inline constexpr size_t kMaxNotesPerSegment = 1 << 20;

// `align` is 4 for cores and most notes; 8 only for PT_NOTE/SHT_NOTE with
// 8-byte alignment (.note.gnu.property). Name and desc are each padded to it.
ElfNotes parse_elf_notes(std::span<const std::byte> data, size_t align = 4,
                         size_t max_notes = kMaxNotesPerSegment);

// Note alignment implied by a segment's or section's declared alignment.
inline size_t note_alignment(uint64_t declared) {
  return declared == 8 ? 8 : 4;
}

}  // namespace corostack
