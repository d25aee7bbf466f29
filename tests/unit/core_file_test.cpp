#include "target/core_file.hpp"

#include <gtest/gtest.h>

#include <csignal>

#include "elf_test_util.hpp"
#include "target/core_notes.hpp"
#include "target/elf_build_id.hpp"

namespace corostack {
namespace {

using testing::Bytes;
using testing::CoreBuilder;
using testing::pattern;
using testing::regs_with;
using testing::TempDir;
using testing::TestElf;

// A minimal well-formed core: one thread, process info.
CoreBuilder basic_core(pid_t pid = 100) {
  CoreBuilder b;
  b.prstatus(pid, regs_with(0x401000, 0x7ffd000));
  b.prpsinfo(pid, "prog", "prog --flag ");
  return b;
}

Result<std::unique_ptr<CoreFile>> open_built(const TempDir& dir, const CoreBuilder& b,
                                             const std::string& exe = "") {
  return CoreFile::open(b.write(dir), exe);
}

Result<std::unique_ptr<CoreFile>> open_bytes(const TempDir& dir, const Bytes& bytes) {
  testing::write_file(dir.file("raw.core"), bytes);
  return CoreFile::open(dir.file("raw.core"));
}

void expect_error(const Result<std::unique_ptr<CoreFile>>& r, ErrorKind kind,
                  const std::string& needle) {
  ASSERT_FALSE(r.ok()) << "expected an error containing \"" << needle << "\"";
  EXPECT_EQ(r.error().kind, kind) << r.error().message;
  EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
}

bool has_warning(const CoreFile& core, const std::string& needle) {
  for (const auto& w : core.warnings())
    if (w.find(needle) != std::string::npos) return true;
  return false;
}

TEST(CoreFile, ThreadsRegistersAndProcessInfo) {
  TempDir dir;
  CoreBuilder b;
  b.prstatus(102, regs_with(0x1102, 0x2102));
  b.prstatus(100, regs_with(0x1100, 0x2100));
  b.prstatus(101, regs_with(0x1101, 0x2101));
  b.prpsinfo(100, "myprog", "myprog --flag x ", 'S');
  auto core = open_built(dir, b);
  ASSERT_TRUE(core.ok()) << core.error().message;
  const CoreFile& c = **core;
  EXPECT_EQ(c.kind(), TargetKind::kCore);
  EXPECT_EQ(c.pid(), 100);
  EXPECT_EQ(c.command_name(), "myprog");
  EXPECT_EQ(c.command_line(), "myprog --flag x");
  EXPECT_EQ(c.process_state(), 'S');
  ASSERT_EQ(c.threads().size(), 3u);
  EXPECT_EQ(c.threads()[0].tid, 100);  // main thread first, then by tid
  EXPECT_EQ(c.threads()[1].tid, 101);
  EXPECT_EQ(c.threads()[2].tid, 102);
  EXPECT_EQ(c.threads()[0].name, "myprog");
  EXPECT_EQ(c.threads()[1].name, "");
  EXPECT_EQ(c.threads()[2].regs.rip, 0x1102u);
  EXPECT_EQ(c.threads()[2].regs.rsp, 0x2102u);
  EXPECT_EQ(c.threads()[2].regs.rbp, 0x2142u);
  for (const auto& t : c.threads()) {
    EXPECT_TRUE(t.regs_valid);
    EXPECT_EQ(t.state, '?');
  }
  EXPECT_TRUE(c.warnings().empty());
  EXPECT_EQ(c.fatal_signal(), std::nullopt);

  auto cap = (*core)->capture({});
  ASSERT_TRUE(cap.ok());
  ASSERT_EQ(cap->threads.size(), 3u);
  EXPECT_EQ(cap->threads[1].regs.rip, 0x1101u);
  EXPECT_EQ(cap->pause_ns, 0u);
  EXPECT_TRUE(cap->regions.empty());
}

TEST(CoreFile, PidFallsBackToFirstThreadWithoutPrpsinfo) {
  TempDir dir;
  CoreBuilder b;
  b.prstatus(77, regs_with(1, 2));
  b.prstatus(70, regs_with(1, 2));
  auto core = open_built(dir, b);
  ASSERT_TRUE(core.ok()) << core.error().message;
  EXPECT_EQ((*core)->pid(), 77);
  EXPECT_EQ((*core)->command_name(), "");
  EXPECT_EQ((*core)->threads()[0].tid, 77);
}

TEST(CoreFile, CorostackNoteNamesThreads) {
  TempDir dir;
  CoreBuilder b = basic_core(100);
  b.prstatus(101, regs_with(1, 2));
  Bytes desc;
  auto record = [&](uint32_t tid, char state, std::string_view name) {
    testing::put(desc, tid);
    desc.push_back(std::byte(state));
    char n[16] = {};
    std::memcpy(n, name.data(), name.size());
    testing::put(desc, n);
  };
  record(101, 'D', "worker-1");
  record(100, 'S', "main-loop-name16");  // exactly 16 bytes, no NUL
  record(555, 'R', "no-such-thread");
  b.note(kCorostackNoteOwner, kCorostackThreadsNote, desc);
  auto core = open_built(dir, b);
  ASSERT_TRUE(core.ok()) << core.error().message;
  const auto& threads = (*core)->threads();
  ASSERT_EQ(threads.size(), 2u);
  EXPECT_EQ(threads[0].name, "main-loop-name16");
  EXPECT_EQ(threads[0].state, 'S');
  EXPECT_EQ(threads[1].name, "worker-1");
  EXPECT_EQ(threads[1].state, 'D');
}

TEST(CoreFile, NotesSpreadOverSeveralSegments) {
  TempDir dir;
  CoreBuilder b;
  b.prpsinfo(10, "p", "p");
  b.prstatus(10, regs_with(1, 2), 0, 0);
  b.prstatus(11, regs_with(3, 4), 0, 1);
  b.prstatus(12, regs_with(5, 6), 0, 2);
  auto core = open_built(dir, b);
  ASSERT_TRUE(core.ok()) << core.error().message;
  EXPECT_EQ((*core)->threads().size(), 3u);
}

TEST(CoreFile, ProgramHeaderCountEscape) {
  TempDir dir;
  CoreBuilder b = basic_core();
  b.load(0x10000, pattern(0x100, 1));
  b.pn_xnum = true;
  auto core = open_built(dir, b);
  ASSERT_TRUE(core.ok()) << core.error().message;
  EXPECT_EQ((*core)->maps().size(), 1u);
}

TEST(CoreFile, MapsJoinSegmentsWithFileNames) {
  TempDir dir;
  CoreBuilder b = basic_core();
  b.load(0x400000, pattern(0x1000, 1), 0x1000, PF_R);
  b.load(0x401000, Bytes{}, 0x2000, PF_R | PF_X);            // kernel style: code left on disk
  b.load(0x600000, pattern(0x100, 2), 0x1000, PF_R | PF_W);  // anonymous heap
  // One segment covering two NT_FILE entries gets split at their boundary.
  b.load(0x700000, pattern(0x10, 3), 0x3000, PF_R);
  b.file_note({{0x400000, 0x401000, 0, "/usr/bin/prog"},
               {0x401000, 0x403000, 1, "/usr/bin/prog"},
               {0x700000, 0x701000, 0, "/lib/a.so"},
               {0x702000, 0x703000, 5, "/lib/b.so"}});
  auto core = open_built(dir, b);
  ASSERT_TRUE(core.ok()) << core.error().message;
  const auto& maps = (*core)->maps();
  ASSERT_EQ(maps.size(), 6u);
  EXPECT_EQ(maps[0].path, "/usr/bin/prog");
  EXPECT_EQ(maps[0].file_offset, 0u);
  EXPECT_TRUE(maps[0].readable && !maps[0].executable && !maps[0].writable);
  EXPECT_EQ(maps[1].start, RemoteAddr(0x401000));
  EXPECT_EQ(maps[1].end, RemoteAddr(0x403000));
  EXPECT_EQ(maps[1].file_offset, 0x1000u);
  EXPECT_TRUE(maps[1].executable);
  EXPECT_EQ(maps[2].path, "");
  EXPECT_TRUE(maps[2].writable);
  EXPECT_EQ(maps[3].path, "/lib/a.so");
  EXPECT_EQ(maps[3].end, RemoteAddr(0x701000));
  EXPECT_EQ(maps[4].path, "");
  EXPECT_EQ(maps[4].start, RemoteAddr(0x701000));
  EXPECT_EQ(maps[5].path, "/lib/b.so");
  EXPECT_EQ(maps[5].file_offset, 5u * 4096);
  EXPECT_EQ(find_map(maps, RemoteAddr(0x402fff)), &maps[1]);
}

TEST(CoreFile, MappingsWithoutSegmentsTakePermissionsFromTheFile) {
  // gdb's gcore writes no PT_LOAD for unmodified read-only mappings.
  TempDir dir;
  TestElf e;
  testing::write_file(dir.file("lib.so"), e.build());
  testing::write_file(dir.file("data.bin"), pattern(0x1000, 9));
  CoreBuilder b = basic_core();
  b.load(0x500000, e.build(), 0x1000, PF_R);  // header page in the core (and more)
  b.file_note({{0x500000, 0x501000, 0, dir.file("lib.so")},
               {0x501000, 0x502000, 1, dir.file("lib.so")},
               {0x900000, 0x901000, 0, dir.file("data.bin")}});
  auto core = open_built(dir, b);
  ASSERT_TRUE(core.ok()) << core.error().message;
  const auto& maps = (*core)->maps();
  ASSERT_EQ(maps.size(), 3u);
  EXPECT_EQ(maps[1].start, RemoteAddr(0x501000));
  EXPECT_EQ(maps[1].path, dir.file("lib.so"));
  EXPECT_TRUE(maps[1].readable && maps[1].executable && !maps[1].writable);
  EXPECT_EQ(maps[2].path, dir.file("data.bin"));
  EXPECT_TRUE(maps[2].readable && !maps[2].executable);  // not ELF: readable only
  EXPECT_TRUE((*core)->warnings().empty());
}

TEST(CoreFile, ReadsCoreBytesAcrossSegments) {
  TempDir dir;
  CoreBuilder b = basic_core();
  b.load(0x10000, pattern(0x1000, 1));
  b.load(0x11000, pattern(0x1000, 2));
  b.load(0x20000, pattern(0x1000, 3), 0x2000);  // second page absent, no file behind it
  auto core = open_built(dir, b);
  ASSERT_TRUE(core.ok()) << core.error().message;
  Bytes buf(0x20);
  auto r = (*core)->read(RemoteAddr(0x10ff0), buf);
  EXPECT_EQ(r.bytes, 0x20u);
  EXPECT_EQ(buf[0], pattern(0x1000, 1)[0xff0]);
  EXPECT_EQ(buf[0x10], pattern(0x1000, 2)[0]);

  r = (*core)->read(RemoteAddr(0x11ff0), buf);  // runs off the end of the memory
  EXPECT_EQ(r.bytes, 0x10u);
  EXPECT_EQ(r.error, ErrorKind::kUnreadable);
  r = (*core)->read(RemoteAddr(0x20ff8), buf);  // into the page the core left out
  EXPECT_EQ(r.bytes, 8u);
  EXPECT_EQ((*core)->read(RemoteAddr(0x30000), buf).bytes, 0u);
  EXPECT_EQ((*core)->read(RemoteAddr(~uint64_t(0) - 3), buf).bytes, 0u);
  EXPECT_EQ((*core)->read_value<uint8_t>(RemoteAddr(0x20010)).value(), uint8_t((3 + 0x10) % 251));
}

TEST(CoreFile, ReadsFileBackedPagesFromDisk) {
  TempDir dir;
  Bytes file = pattern(0x3000, 50);
  testing::write_file(dir.file("mapped.bin"), file);
  CoreBuilder b = basic_core();
  // [0x500000, 0x502000) maps file offset 0x1000; the core holds only the
  // first 0x800 bytes (as modified in memory: a different pattern).
  b.load(0x500000, pattern(0x800, 1), 0x2000, PF_R | PF_W);
  // gdb style: a mapping with no segment at all, file offset 0.
  b.file_note({{0x500000, 0x502000, 1, dir.file("mapped.bin")},
               {0x600000, 0x604000, 0, dir.file("mapped.bin")}});
  auto core = open_built(dir, b);
  ASSERT_TRUE(core.ok()) << core.error().message;

  Bytes buf(0x20);
  auto r = (*core)->read(RemoteAddr(0x5007f0), buf);
  ASSERT_EQ(r.bytes, 0x20u);
  EXPECT_EQ(buf[0], pattern(0x800, 1)[0x7f0]);  // from the core
  EXPECT_EQ(buf[0x10], file[0x1000 + 0x800]);   // from the file
  // The same range through the core-only reader stops where the core does.
  EXPECT_EQ((*core)->core_only().read(RemoteAddr(0x5007f0), buf).bytes, 0x10u);

  r = (*core)->read(RemoteAddr(0x600100), buf);
  ASSERT_EQ(r.bytes, 0x20u);
  EXPECT_EQ(buf[0], file[0x100]);
  // The mapping is longer than the file: reads stop at its end, like a SIGBUS would.
  r = (*core)->read(RemoteAddr(0x602ff0), buf);
  EXPECT_EQ(r.bytes, 0x10u);
  EXPECT_EQ(buf[0], file[0x2ff0]);
}

TEST(CoreFile, MissingBackingFileStopsTheRead) {
  TempDir dir;
  CoreBuilder b = basic_core();
  b.load(0x500000, Bytes{}, 0x1000, PF_R);
  b.file_note({{0x500000, 0x501000, 0, dir.file("gone.bin")}});
  auto core = open_built(dir, b);
  ASSERT_TRUE(core.ok()) << core.error().message;
  Bytes buf(8);
  auto r = (*core)->read(RemoteAddr(0x500000), buf);
  EXPECT_EQ(r.bytes, 0u);
  EXPECT_EQ(r.error, ErrorKind::kNotFound);
}

TEST(CoreFile, ExePathFromEntryPointThenFromOffsetZero) {
  TempDir dir;
  CoreBuilder b = basic_core();
  b.file_note({{0x10000, 0x11000, 0, "/lib/ld.so"},
               {0x400000, 0x401000, 0, "/usr/bin/prog"},
               {0x401000, 0x402000, 1, "/usr/bin/prog"}});
  CoreBuilder with_auxv = b;
  with_auxv.auxv({{AT_PAGESZ, 4096}, {AT_ENTRY, 0x401234}, {AT_BASE, 0x10000}});
  auto core = open_built(dir, with_auxv);
  ASSERT_TRUE(core.ok()) << core.error().message;
  EXPECT_EQ((*core)->exe_path(), "/usr/bin/prog");
  ASSERT_EQ((*core)->auxv().size(), 3u);
  EXPECT_EQ((*core)->auxv()[1].type, uint64_t(AT_ENTRY));
  EXPECT_EQ((*core)->host_path("/usr/bin/prog"), "/usr/bin/prog");

  auto no_auxv = open_built(dir, b);
  ASSERT_TRUE(no_auxv.ok());
  EXPECT_EQ((*no_auxv)->exe_path(), "/lib/ld.so");

  auto no_files = open_built(dir, basic_core());
  ASSERT_TRUE(no_files.ok());
  EXPECT_EQ((*no_files)->exe_path(), "");
}

TEST(CoreFile, FatalSignal) {
  TempDir dir;
  CoreBuilder crashed;
  crashed.prstatus(5, regs_with(1, 2), SIGSEGV);
  crashed.siginfo(SIGSEGV);
  auto a = open_built(dir, crashed);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->fatal_signal(), SIGSEGV);

  CoreBuilder snapshot;  // what gdb's gcore writes after attaching
  snapshot.prstatus(5, regs_with(1, 2));
  snapshot.siginfo(SIGSTOP);
  auto b = open_built(dir, snapshot);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)->fatal_signal(), std::nullopt);

  CoreBuilder siginfo_only;
  siginfo_only.prstatus(5, regs_with(1, 2));
  siginfo_only.siginfo(SIGABRT);
  auto c = open_built(dir, siginfo_only);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->fatal_signal(), SIGABRT);
}

TEST(CoreFile, RejectsFilesThatAreNotX86_64Cores) {
  TempDir dir;
  expect_error(CoreFile::open(dir.file("nope.core")), ErrorKind::kNotFound, "no such file");
  expect_error(open_bytes(dir, Bytes{}), ErrorKind::kCorrupt, "truncated");
  expect_error(open_bytes(dir, testing::bytes_of("\x7f"
                                                 "EL")),
               ErrorKind::kCorrupt, "truncated");
  expect_error(open_bytes(dir, testing::bytes_of("\x7f"
                                                 "ELF\x02\x01")),
               ErrorKind::kCorrupt, "truncated");
  expect_error(open_bytes(dir, testing::bytes_of("hello, this is text and not a core\n")),
               ErrorKind::kCorrupt, "not an ELF file");
  Bytes header_only = basic_core().build();
  header_only.resize(40);
  expect_error(open_bytes(dir, header_only), ErrorKind::kCorrupt, "truncated");

  CoreBuilder b32 = basic_core();
  b32.elf_class = ELFCLASS32;
  expect_error(open_built(dir, b32), ErrorKind::kUnsupported,
               "core of a 32-bit process is not supported");
  CoreBuilder arm = basic_core();
  arm.machine = EM_AARCH64;
  expect_error(open_built(dir, arm), ErrorKind::kUnsupported, "aarch64");
  CoreBuilder exe = basic_core();
  exe.type = ET_EXEC;
  expect_error(open_built(dir, exe), ErrorKind::kUnsupported, "not a core file (ELF type ET_EXEC");
}

TEST(CoreFile, RejectsBrokenProgramHeaders) {
  TempDir dir;
  CoreBuilder b = basic_core();
  b.load(0x1000, pattern(0x10, 0));
  Bytes full = b.build();
  Bytes cut(full.begin(), full.begin() + sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) + 10);
  expect_error(open_bytes(dir, cut), ErrorKind::kCorrupt, "truncated");

  Bytes bad_entsize = full;
  testing::put_at(bad_entsize, offsetof(Elf64_Ehdr, e_phentsize), uint16_t(40));
  expect_error(open_bytes(dir, bad_entsize), ErrorKind::kCorrupt, "entry size");

  Bytes far = full;
  testing::put_at(far, offsetof(Elf64_Ehdr, e_phoff), ~uint64_t(0) - 8);
  expect_error(open_bytes(dir, far), ErrorKind::kCorrupt, "truncated");
}

TEST(CoreFile, BogusNoteSizes) {
  TempDir dir;
  // The only note claims a 4 GiB name: nothing usable remains.
  Bytes bad;
  testing::put(bad, uint32_t(0xffffffff));
  testing::put(bad, uint32_t(336));
  testing::put(bad, uint32_t(NT_PRSTATUS));
  testing::put(bad, uint32_t(0));
  CoreBuilder none;
  none.raw_note_bytes(bad);
  expect_error(open_built(dir, none), ErrorKind::kCorrupt, "no NT_PRSTATUS");

  // A good thread, then a note with a huge desc: the thread survives, with a warning.
  CoreBuilder partial = basic_core();
  Bytes huge;
  testing::put(huge, uint32_t(5));
  testing::put(huge, uint32_t(0xfffffff0));
  testing::put(huge, uint32_t(NT_FILE));
  huge.resize(huge.size() + 16);
  partial.raw_note_bytes(huge);
  partial.prstatus(999, regs_with(1, 2));  // after the corrupt note: unreachable
  auto core = open_built(dir, partial);
  ASSERT_TRUE(core.ok()) << core.error().message;
  EXPECT_EQ((*core)->threads().size(), 1u);
  EXPECT_TRUE(has_warning(**core, "corrupt core note"))
      << ::testing::PrintToString((*core)->warnings());
}

TEST(CoreFile, MalformedNotePayloadsAreSkipped) {
  TempDir dir;
  CoreBuilder b = basic_core();
  b.note("CORE", NT_PRSTATUS, pattern(100, 0));  // too short for registers
  Bytes file_note;
  testing::put(file_note, uint64_t(1) << 40);  // absurd count
  testing::put(file_note, uint64_t(4096));
  b.note("CORE", NT_FILE, file_note);
  b.note("CORE", NT_AUXV, pattern(7, 0));  // not even one entry
  b.note("CORE", NT_PRPSINFO, pattern(20, 0));
  auto core = open_built(dir, b);
  ASSERT_TRUE(core.ok()) << core.error().message;
  EXPECT_EQ((*core)->threads().size(), 1u);
  EXPECT_TRUE((*core)->auxv().empty());
  EXPECT_EQ((*core)->command_name(), "prog");  // the good NT_PRPSINFO came first
  EXPECT_TRUE(has_warning(**core, "NT_PRSTATUS"));
  EXPECT_TRUE(has_warning(**core, "NT_FILE"));
  EXPECT_TRUE(has_warning(**core, "NT_PRPSINFO"));
}

TEST(CoreFile, TruncatedCoreKeepsWhatIsThere) {
  TempDir dir;
  CoreBuilder b = basic_core();
  b.load(0x10000, pattern(0x2000, 4));
  Bytes full = b.build();
  full.resize(full.size() - 0x1000);  // lose the second page of the segment
  auto core = open_bytes(dir, full);
  ASSERT_TRUE(core.ok()) << core.error().message;
  EXPECT_TRUE(has_warning(**core, "truncated"));
  Bytes buf(0x10);
  EXPECT_EQ((*core)->read(RemoteAddr(0x10ff8), buf).bytes, 8u);
  ASSERT_EQ((*core)->maps().size(), 1u);
  EXPECT_EQ((*core)->maps()[0].size(), 0x2000u);
}

// A core whose executable's header page (with build-id `core_id`) is in the
// core, named `exe_name` in NT_FILE.
CoreBuilder core_with_exe(const std::string& exe_path, const TestElf& in_core, bool header_in_core,
                          std::vector<CoreBuilder::FileEntry> more_files = {}) {
  CoreBuilder b = basic_core();
  Bytes img = in_core.build();
  b.load(0x400000, header_in_core ? Bytes(img.begin(), img.begin() + 0x1000) : Bytes{}, 0x1000,
         PF_R);
  b.load(0x401000, Bytes{}, 0x1000, PF_R | PF_X);
  std::vector<CoreBuilder::FileEntry> files{{0x400000, 0x401000, 0, exe_path},
                                            {0x401000, 0x402000, 1, exe_path}};
  files.insert(files.end(), more_files.begin(), more_files.end());
  b.file_note(files);
  b.auxv({{AT_ENTRY, 0x401100}});
  return b;
}

TEST(CoreFile, ExeOverrideMustMatchTheCore) {
  TempDir dir;
  TestElf original;
  TestElf rebuilt;
  rebuilt.build_id = pattern(20, 99);
  testing::write_file(dir.file("same"), original.build());
  testing::write_file(dir.file("other"), rebuilt.build());
  CoreBuilder b = core_with_exe("/build/prog", original, true);

  auto ok = open_built(dir, b, dir.file("same"));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ((*ok)->exe_path(), "/build/prog");
  EXPECT_EQ((*ok)->host_path("/build/prog"), dir.file("same"));
  EXPECT_EQ((*ok)->host_path("/lib/libc.so.6"), "/lib/libc.so.6");
  // Pages left out of the core come from the override, not the recorded path.
  Bytes buf(4);
  ASSERT_EQ((*ok)->read(RemoteAddr(0x401000), buf).bytes, 4u);
  EXPECT_EQ(buf[0], original.build()[0x1000]);
  EXPECT_TRUE((*ok)->warnings().empty()) << ::testing::PrintToString((*ok)->warnings());

  auto bad = open_built(dir, b, dir.file("other"));
  expect_error(bad, ErrorKind::kUsage,
               "does not match the core: build-id " + to_hex(rebuilt.build_id) + " vs " +
                   to_hex(original.build_id));

  expect_error(open_built(dir, b, dir.file("missing")), ErrorKind::kNotFound, "no such file");
}

TEST(CoreFile, ExeOverrideIsCheckedOnlyAgainstCoreBytes) {
  // Without the header page in the core there is nothing to compare with;
  // reading through the disk fallback would compare the override with itself.
  TempDir dir;
  TestElf original;
  TestElf rebuilt;
  rebuilt.build_id = pattern(20, 99);
  testing::write_file(dir.file("recorded"), original.build());
  testing::write_file(dir.file("other"), rebuilt.build());
  auto core =
      open_built(dir, core_with_exe(dir.file("recorded"), original, false), dir.file("other"));
  ASSERT_TRUE(core.ok()) << core.error().message;
  EXPECT_TRUE(has_warning(**core, "cannot check --exe"));
}

TEST(CoreFile, WarnsAboutStaleAndMissingLibraries) {
  TempDir dir;
  TestElf exe, lib_in_core, lib_on_disk, gone;
  exe.build_id = pattern(20, 1);
  lib_in_core.build_id = pattern(20, 2);
  lib_on_disk.build_id = pattern(20, 3);
  testing::write_file(dir.file("prog"), exe.build());
  testing::write_file(dir.file("lib.so"), lib_on_disk.build());
  testing::write_file(dir.file("locale"), pattern(0x1000, 0));
  CoreBuilder b = core_with_exe(dir.file("prog"), exe, true,
                                {{0x7f0000000000, 0x7f0000001000, 0, dir.file("lib.so")},
                                 {0x7f0000100000, 0x7f0000101000, 0, dir.file("gone.so")},
                                 {0x7f0000200000, 0x7f0000201000, 0, dir.file("gone-data")},
                                 {0x7f0000300000, 0x7f0000301000, 0, dir.file("locale")}});
  Bytes lib = lib_in_core.build();
  b.load(0x7f0000000000, Bytes(lib.begin(), lib.begin() + 0x1000), 0x1000, PF_R);
  Bytes g = gone.build();
  b.load(0x7f0000100000, Bytes(g.begin(), g.begin() + 0x1000), 0x1000, PF_R);
  auto core = open_built(dir, b);
  ASSERT_TRUE(core.ok()) << core.error().message;
  const auto& w = (*core)->warnings();
  ASSERT_EQ(w.size(), 2u) << ::testing::PrintToString(w);
  EXPECT_EQ(w[0], "build-id of " + dir.file("lib.so") + " differs from the one in the core (disk " +
                      to_hex(lib_on_disk.build_id) + ", core " + to_hex(lib_in_core.build_id) +
                      "); its frames may be wrong");
  EXPECT_EQ(w[1], dir.file("gone.so") + ": not found; frames in it will lack symbols");
  auto cap = (*core)->capture({});
  ASSERT_TRUE(cap.ok());
  EXPECT_EQ(cap->warnings, w);
}

}  // namespace
}  // namespace corostack
