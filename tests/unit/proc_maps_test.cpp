#include <gtest/gtest.h>

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
