// LiveProcess::read on a real child whose memory has a hole: a read that runs
// into the hole returns the bytes before it, and the pages after it are still
// read (the cache fills in blocks that may start before the hole).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "target/live_process.hpp"

namespace corostack {
namespace {

constexpr size_t kPage = 4096;

// Pages 0-1 readable, page 2 unmapped, pages 3-7 readable; each readable
// page starts with its index. A forked child shares the layout.
class HoleyChild : public testing::Test {
 protected:
  void SetUp() override {
    void* p =
        ::mmap(nullptr, 8 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(p, MAP_FAILED);
    region_ = static_cast<std::byte*>(p);
    for (uint64_t i = 0; i < 8; ++i) std::memcpy(region_ + i * kPage, &i, sizeof i);
    ASSERT_EQ(::munmap(region_ + 2 * kPage, kPage), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      for (;;) ::pause();
    }
    ASSERT_GT(pid_, 0);
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::munmap(region_, 2 * kPage);
    ::munmap(region_ + 3 * kPage, 5 * kPage);
  }
  uint64_t addr(size_t page, size_t offset = 0) const {
    return reinterpret_cast<uint64_t>(region_ + page * kPage + offset);
  }

  std::byte* region_ = nullptr;
  pid_t pid_ = -1;
};

TEST_F(HoleyChild, ReadIntoAHoleReturnsTheBytesBeforeIt) {
  auto proc = LiveProcess::open(pid_);
  ASSERT_TRUE(proc) << proc.error().message;
  // Above the cached-read limit, straight to the process: 1.5 pages, then the hole.
  std::vector<std::byte> big(128 * 1024);
  auto r = (*proc)->read(RemoteAddr(addr(0, kPage / 2)), big);
  EXPECT_EQ(r.bytes, kPage + kPage / 2);
  uint64_t one = 0;
  std::memcpy(&one, big.data() + kPage / 2, sizeof one);
  EXPECT_EQ(one, 1u);
  // Through the cache: the same.
  std::vector<std::byte> small(3 * kPage);
  r = (*proc)->read(RemoteAddr(addr(0, 8)), small);
  EXPECT_EQ(r.bytes, 2 * kPage - 8);
}

TEST_F(HoleyChild, PagesAfterTheHoleAreRead) {
  auto proc = LiveProcess::open(pid_);
  ASSERT_TRUE(proc) << proc.error().message;
  uint64_t v = 0;
  auto word = std::as_writable_bytes(std::span(&v, 1));
  // Page 1 first: its cache block (pages 0-3) stops at the hole.
  ASSERT_EQ((*proc)->read(RemoteAddr(addr(1)), word).bytes, 8u);
  EXPECT_EQ(v, 1u);
  for (uint64_t page : {3u, 4u, 7u}) {
    ASSERT_EQ((*proc)->read(RemoteAddr(addr(page)), word).bytes, 8u) << "page " << page;
    EXPECT_EQ(v, page);
  }
  EXPECT_EQ((*proc)->read(RemoteAddr(addr(2)), word).bytes, 0u);
}

}  // namespace
}  // namespace corostack
