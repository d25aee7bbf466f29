#include "target/elf_build_id.hpp"

#include <gtest/gtest.h>
#include <link.h>
#include <sys/uio.h>
#include <unistd.h>

#include "elf_test_util.hpp"
#include "target/elf_notes.hpp"
#include "target/fake_target.hpp"

namespace corostack {
namespace {

using testing::Bytes;
using testing::TempDir;
using testing::TestElf;

std::string expected_id(const TestElf& e) {
  return to_hex(e.build_id);
}

// Maps a TestElf into a fake target the way the loader would, with its ELF
// header at `header`: page 0 there, page 1 at its (possibly shifted) vaddr.
void map_image(FakeTarget& t, const TestElf& e, uint64_t header) {
  Bytes img = e.build();
  uint64_t bias = header - e.base_vaddr;
  t.add_region(RemoteAddr(header), Bytes(img.begin(), img.begin() + TestElf::kPage), "r--p");
  t.add_region(RemoteAddr(bias + e.page1_vaddr()), Bytes(img.begin() + TestElf::kPage, img.end()),
               "r-xp");
}

TEST(ElfNotes, IteratesNotesWithPaddingAndNames) {
  Bytes data;
  for (auto& n : {testing::make_note("GNU", 3, testing::pattern(5, 1)),
                  testing::make_note("LONGOWNER", 7, Bytes{}),
                  testing::make_note("CORE", 1, testing::pattern(8, 2))})
    data.insert(data.end(), n.begin(), n.end());
  data.resize(data.size() + 12);  // trailing zero padding is not an error
  auto notes = parse_elf_notes(data);
  EXPECT_EQ(notes.error, "");
  ASSERT_EQ(notes.notes.size(), 3u);
  EXPECT_EQ(notes.notes[0].name, "GNU");
  EXPECT_EQ(notes.notes[0].desc.size(), 5u);
  EXPECT_EQ(notes.notes[0].desc[4], std::byte(5));
  EXPECT_EQ(notes.notes[1].name, "LONGOWNER");
  EXPECT_EQ(notes.notes[1].type, 7u);
  EXPECT_TRUE(notes.notes[1].desc.empty());
  EXPECT_EQ(notes.notes[2].name, "CORE");
  EXPECT_EQ(notes.notes[2].desc[0], std::byte(2));
}

TEST(ElfNotes, HugeSizesStopTheWalk) {
  Bytes data = testing::make_note("GNU", 3, testing::pattern(4, 1));
  size_t second = data.size();
  auto bad = testing::make_note("GNU", 3, testing::pattern(4, 1));
  data.insert(data.end(), bad.begin(), bad.end());
  testing::put_at(data, second + 4, uint32_t(0xfffffff0));  // descsz
  auto notes = parse_elf_notes(data);
  EXPECT_EQ(notes.notes.size(), 1u);
  EXPECT_NE(notes.error.find("past the end"), std::string::npos) << notes.error;

  testing::put_at(data, second, uint32_t(0xffffffff));  // namesz
  notes = parse_elf_notes(data);
  EXPECT_EQ(notes.notes.size(), 1u);
  EXPECT_FALSE(notes.error.empty());
}

TEST(ElfNotes, TruncatedHeaderIsReported) {
  Bytes data = testing::make_note("GNU", 3, testing::pattern(4, 1));
  data.push_back(std::byte{1});
  auto notes = parse_elf_notes(data);
  EXPECT_EQ(notes.notes.size(), 1u);
  EXPECT_NE(notes.error.find("truncated"), std::string::npos);
}

TEST(ElfNotes, CapOnNoteCount) {
  Bytes data;
  for (int i = 0; i < 10; ++i) {
    auto n = testing::make_note("X", 1, Bytes{});
    data.insert(data.end(), n.begin(), n.end());
  }
  auto notes = parse_elf_notes(data, 4, 3);
  EXPECT_EQ(notes.notes.size(), 3u);
  EXPECT_FALSE(notes.error.empty());
}

TEST(BuildId, HexEncoding) {
  Bytes b{std::byte{0x00}, std::byte{0xab}, std::byte{0x0f}, std::byte{0xf0}};
  EXPECT_EQ(to_hex(b), "00ab0ff0");
}

TEST(BuildId, FromProgramHeaderNotes) {
  TestElf e;
  e.notes_in_section = false;
  EXPECT_EQ(build_id_from_bytes(e.build()), expected_id(e));
}

TEST(BuildId, FallsBackToSectionHeaders) {
  TestElf e;
  e.notes_in_phdr = false;
  EXPECT_EQ(build_id_from_bytes(e.build()), expected_id(e));
  e.notes_in_section = false;
  EXPECT_EQ(build_id_from_bytes(e.build()), std::nullopt);
}

TEST(BuildId, HonoursEightByteNoteAlignment) {
  TestElf e;
  e.align8_with_property = true;
  e.notes_in_section = false;
  EXPECT_EQ(build_id_from_bytes(e.build()), expected_id(e));
}

TEST(BuildId, AbsentOrNotElf) {
  TestElf e;
  e.build_id.clear();
  EXPECT_EQ(build_id_from_bytes(e.build()), std::nullopt);
  EXPECT_EQ(build_id_from_bytes(testing::bytes_of("#!/bin/sh\necho hi\n")), std::nullopt);
  EXPECT_EQ(build_id_from_bytes(Bytes{}), std::nullopt);
}

TEST(BuildId, HostileHeadersDoNotEscapeTheImage) {
  TestElf e;
  Bytes img = e.build();
  // Note segment and section pointing far beyond the file, phdr table cut off.
  auto ph_note = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
  testing::put_at(img, ph_note + offsetof(Elf64_Phdr, p_offset), uint64_t(1) << 62);
  Elf64_Ehdr eh;
  std::memcpy(&eh, img.data(), sizeof eh);
  testing::put_at(img, eh.e_shoff + sizeof(Elf64_Shdr) + offsetof(Elf64_Shdr, sh_size),
                  ~uint64_t(0));
  EXPECT_EQ(build_id_from_bytes(img), std::nullopt);
  img.resize(sizeof(Elf64_Ehdr) + 10);
  EXPECT_EQ(build_id_from_bytes(img), std::nullopt);
}

TEST(BuildId, FromFile) {
  TempDir dir;
  TestElf e;
  testing::write_file(dir.file("lib.so"), e.build());
  EXPECT_EQ(build_id_from_file(dir.file("lib.so")), expected_id(e));
  EXPECT_EQ(build_id_from_file(dir.file("missing.so")), std::nullopt);
  testing::write_file(dir.file("empty"), Bytes{});
  EXPECT_EQ(build_id_from_file(dir.file("empty")), std::nullopt);
  EXPECT_EQ(build_id_from_file(dir.path()), std::nullopt);  // a directory
}

TEST(BuildId, FromMemoryPositionIndependent) {
  TestElf e;  // ET_DYN linked at 0
  FakeTarget t;
  map_image(t, e, 0x7f1234560000);
  EXPECT_EQ(build_id_from_memory(t, RemoteAddr(0x7f1234560000)), expected_id(e));
}

TEST(BuildId, FromMemoryFixedAddressExecutable) {
  TestElf e;
  e.type = ET_EXEC;
  e.base_vaddr = 0x400000;
  FakeTarget t;
  map_image(t, e, 0x400000);
  EXPECT_EQ(build_id_from_memory(t, RemoteAddr(0x400000)), expected_id(e));
}

TEST(BuildId, FromMemoryUsesVirtualAddressesNotFileOffsets) {
  // Notes in page 1, which is mapped 0x5000 further than its file offset
  // says; reading at header + p_offset would find nothing there.
  for (uint16_t type : {ET_DYN, ET_EXEC}) {
    TestElf e;
    e.type = type;
    e.base_vaddr = type == ET_EXEC ? 0x400000 : 0;
    e.notes_in_page1 = true;
    e.shift = 0x5000;
    FakeTarget t;
    uint64_t header = type == ET_EXEC ? 0x400000 : 0x555500000000;
    map_image(t, e, header);
    EXPECT_EQ(build_id_from_memory(t, RemoteAddr(header)), expected_id(e)) << type;
  }
}

TEST(BuildId, FromMemoryFailsSafely) {
  TestElf e;
  FakeTarget t;
  EXPECT_EQ(build_id_from_memory(t, RemoteAddr(0x1000)), std::nullopt);  // nothing mapped

  // Header readable, notes not: only page 0 mapped, notes moved to page 1.
  e.notes_in_page1 = true;
  Bytes img = e.build();
  t.add_region(RemoteAddr(0x10000), Bytes(img.begin(), img.begin() + TestElf::kPage), "r--p");
  EXPECT_EQ(build_id_from_memory(t, RemoteAddr(0x10000)), std::nullopt);

  // Absurd program header count.
  Bytes bad = TestElf{}.build();
  testing::put_at(bad, offsetof(Elf64_Ehdr, e_phnum), uint16_t(1000));
  FakeTarget t2;
  t2.add_region(RemoteAddr(0x20000), bad, "r--p");
  EXPECT_EQ(build_id_from_memory(t2, RemoteAddr(0x20000)), std::nullopt);
}

// Reads this test process through process_vm_readv, like a live target would.
class SelfMemory final : public MemoryReader {
 public:
  ReadResult read(RemoteAddr addr, std::span<std::byte> out) const override {
    iovec local{out.data(), out.size()};
    iovec remote{reinterpret_cast<void*>(addr.value()), out.size()};
    ssize_t n = ::process_vm_readv(::getpid(), &local, 1, &remote, 1, 0);
    return {n > 0 ? size_t(n) : 0, ErrorKind::kUnreadable};
  }
};

TEST(BuildId, MemoryAndDiskAgreeForThisProcess) {
  struct Found {
    std::vector<std::pair<std::string, uint64_t>> objects;
  } found;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        auto* f = static_cast<Found*>(data);
        // The header is where the first PT_LOAD's file offset 0 is mapped.
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const auto& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_LOAD) continue;
          std::string name =
              info->dlpi_name && *info->dlpi_name ? info->dlpi_name : "/proc/self/exe";
          f->objects.emplace_back(name, info->dlpi_addr + ph.p_vaddr - ph.p_offset);
          break;
        }
        return 0;
      },
      &found);
  SelfMemory self;
  int compared = 0;
  for (const auto& [path, header] : found.objects) {
    if (path.find("vdso") != std::string::npos || ::access(path.c_str(), R_OK) != 0) continue;
    auto disk = build_id_from_file(path);
    if (!disk) continue;
    EXPECT_EQ(build_id_from_memory(self, RemoteAddr(header)), disk) << path;
    ++compared;
  }
  EXPECT_GE(compared, 2) << "expected the test binary and libc to carry build-ids";
}

}  // namespace
}  // namespace corostack
