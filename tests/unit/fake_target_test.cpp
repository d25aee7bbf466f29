#include "target/fake_target.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "elf_test_util.hpp"

namespace corostack {
namespace {

using testing::Bytes;
using testing::pattern;

TEST(FakeTarget, ReadsWithinAndAcrossAdjacentRegions) {
  FakeTarget t;
  t.add_region(RemoteAddr(0x2000), pattern(0x1000, 2), "rw-p");
  t.add_region(RemoteAddr(0x1000), pattern(0x1000, 1), "r-xp", "/bin/prog");
  Bytes buf(0x20);
  auto r = t.read(RemoteAddr(0x1ff0), buf);
  EXPECT_EQ(r.bytes, 0x20u);
  EXPECT_EQ(buf[0], pattern(0x1000, 1)[0xff0]);
  EXPECT_EQ(buf[0x10], pattern(0x1000, 2)[0]);
  EXPECT_EQ(t.read_value<uint8_t>(RemoteAddr(0x2005)).value(), uint8_t((2 + 5) % 251));
}

TEST(FakeTarget, ReadStopsAtGapsAndUnreadableRegions) {
  FakeTarget t;
  t.add_region(RemoteAddr(0x1000), pattern(0x100, 1));
  t.add_region(RemoteAddr(0x1200), pattern(0x100, 2));  // gap at 0x1100
  t.add_region(RemoteAddr(0x1300), pattern(0x100, 3), "---p");
  Bytes buf(0x40);
  auto r = t.read(RemoteAddr(0x10f0), buf);
  EXPECT_EQ(r.bytes, 0x10u);
  EXPECT_EQ(r.error, ErrorKind::kUnreadable);
  EXPECT_FALSE(r.complete(buf.size()));
  EXPECT_EQ(t.read(RemoteAddr(0x12f0), buf).bytes, 0x10u);  // runs into "---p"
  EXPECT_EQ(t.read(RemoteAddr(0x1310), buf).bytes, 0u);
  EXPECT_EQ(t.read(RemoteAddr(0), buf).bytes, 0u);
  EXPECT_FALSE(t.read_value<uint64_t>(RemoteAddr(0x10fc)).ok());
  EXPECT_EQ(t.read(RemoteAddr(~uint64_t(0) - 4), buf).bytes, 0u);
  EXPECT_EQ(t.read_calls(), 6u);
}

TEST(FakeTarget, MapsAreSortedWithPermissions) {
  FakeTarget t;
  t.add_region(RemoteAddr(0x7000), pattern(0x1000, 0), "rw-s", "/dev/shm/x");
  t.add_region(RemoteAddr(0x1000), pattern(0x1000, 0), "r-xp", "/bin/prog", 0x2000);
  ASSERT_EQ(t.maps().size(), 2u);
  const MemoryMap& a = t.maps()[0];
  EXPECT_EQ(a.start, RemoteAddr(0x1000));
  EXPECT_EQ(a.end, RemoteAddr(0x2000));
  EXPECT_TRUE(a.readable && a.executable && !a.writable && !a.shared);
  EXPECT_EQ(a.path, "/bin/prog");
  EXPECT_EQ(a.file_offset, 0x2000u);
  EXPECT_TRUE(t.maps()[1].shared && t.maps()[1].writable);
  EXPECT_EQ(find_map(t.maps(), RemoteAddr(0x7fff)), &t.maps()[1]);
}

TEST(FakeTarget, RejectsImpossibleRegions) {
  FakeTarget t;
  t.add_region(RemoteAddr(0x1000), pattern(0x1000, 0));
  EXPECT_THROW(t.add_region(RemoteAddr(0x1800), pattern(0x10, 0)), std::invalid_argument);
  EXPECT_THROW(t.add_region(RemoteAddr(0x0800), pattern(0x1000, 0)), std::invalid_argument);
  EXPECT_THROW(t.add_region(RemoteAddr(0x3000), Bytes{}), std::invalid_argument);
  EXPECT_THROW(t.add_region(RemoteAddr(~uint64_t(0)), pattern(2, 0)), std::invalid_argument);
  EXPECT_THROW(t.add_region(RemoteAddr(0x9000), pattern(2, 0), "rw"), std::invalid_argument);
  t.add_region(RemoteAddr(0x2000), pattern(0x10, 0));  // adjacent is fine
  EXPECT_EQ(t.maps().size(), 2u);
}

TEST(FakeTarget, IdentityAndCapture) {
  FakeTarget t;
  t.set_pid(42);
  t.set_command_name("prog");
  t.set_command_line("prog --x");
  t.set_exe_path("/bin/prog");
  t.set_auxv({{AT_ENTRY, 0x1234}});
  for (pid_t tid : {50, 42, 43}) {
    ThreadState ts;
    ts.tid = tid;
    ts.regs_valid = true;
    ts.regs.rip = 0x1000 + tid;
    t.add_thread(ts);
  }
  EXPECT_EQ(t.kind(), TargetKind::kFake);
  EXPECT_EQ(t.pid(), 42);
  EXPECT_EQ(t.command_name(), "prog");
  EXPECT_EQ(t.command_line(), "prog --x");
  EXPECT_EQ(t.exe_path(), "/bin/prog");
  ASSERT_EQ(t.auxv().size(), 1u);
  EXPECT_EQ(t.auxv()[0].value, 0x1234u);
  EXPECT_EQ(t.host_path("/lib/x.so"), "/lib/x.so");
  auto cap = t.capture({});
  ASSERT_TRUE(cap.ok());
  ASSERT_EQ(cap->threads.size(), 3u);
  EXPECT_EQ(cap->threads[0].tid, 42);
  EXPECT_EQ(cap->threads[1].tid, 43);
  EXPECT_EQ(cap->threads[2].tid, 50);
  EXPECT_EQ(cap->threads[2].regs.rip, 0x1000u + 50);
  EXPECT_EQ(cap->pause_ns, 0u);

  t.set_capture_error(make_error(ErrorKind::kGone, "went away"));
  auto failed = t.capture({});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, ErrorKind::kGone);
}

}  // namespace
}  // namespace corostack
