#include <gtest/gtest.h>

#include "target/core_process_info.hpp"
#include "target/memory_map.hpp"
#include "target/proc_fs.hpp"

namespace corostack {
namespace {

TEST(ProcMaps, ParsesTypicalLines) {
  const char* text =
      "55d0c0a00000-55d0c0a01000 r--p 00000000 08:01 1234   /usr/bin/prog with space\n"
      "7ffd1a2b3000-7ffd1a2d4000 rw-p 00000000 00:00 0                          [stack]\n"
      "7f0000000000-7f0000001000 ---p 00000000 00:00 0 \n";
  size_t skipped = 99;
  auto maps = parse_proc_maps(text, &skipped);
  ASSERT_EQ(maps.size(), 3u);
  EXPECT_EQ(skipped, 0u);
  EXPECT_EQ(maps[0].path, "/usr/bin/prog with space");
  EXPECT_TRUE(maps[0].readable);
  EXPECT_FALSE(maps[0].writable);
  EXPECT_EQ(maps[0].inode, 1234u);
  EXPECT_TRUE(maps[0].is_file_backed());
  EXPECT_EQ(maps[1].path, "");  // sorted: anon 7f00... comes before [stack]
  EXPECT_EQ(maps[2].path, "[stack]");
  EXPECT_EQ(find_map(maps, RemoteAddr(0x7ffd1a2b3000 + 5)), &maps[2]);
  EXPECT_EQ(find_map(maps, RemoteAddr(0x10)), nullptr);
}

TEST(ProcMaps, SkipsGarbage) {
  size_t skipped = 0;
  auto maps =
      parse_proc_maps("zzz\n1000-0800 r--p 0 0:0 0\n\n1000-2000 rwxp nothex 0:0 0\n", &skipped);
  EXPECT_TRUE(maps.empty());
  EXPECT_EQ(skipped, 3u);
}

TEST(DumpStat, CpuAndStartTimes) {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt
  // cmajflt utime stime cutime cstime priority nice threads itreal starttime ...
  auto st =
      parse_dump_stat("7 (w x) R 1 7 7 0 -1 4194304 10 0 0 0 123 45 6 7 20 -5 3 0 98765 1000 2");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->comm, "w x");
  EXPECT_EQ(st->ppid, 1);
  EXPECT_EQ(st->utime, 123u);
  EXPECT_EQ(st->stime, 45u);
  EXPECT_EQ(st->cutime, 6u);
  EXPECT_EQ(st->nice, -5);
  EXPECT_EQ(st->start_ticks, 98765u);
  // A line that stops before starttime still parses, without it.
  auto short_line = parse_dump_stat("7 (w) S 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1");
  ASSERT_TRUE(short_line.ok());
  EXPECT_EQ(short_line->start_ticks, 0u);
}

TEST(ProcStat, CommWithParensAndSpaces) {
  auto st = parse_proc_stat("42 (a) b (c)) S 1 42 42 0 -1 4194560 0 0");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->comm, "a) b (c)");
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->flags, 4194560u);
  EXPECT_FALSE(is_kernel_thread(*st));
  EXPECT_FALSE(parse_proc_stat("garbage").ok());
}

}  // namespace
}  // namespace corostack
