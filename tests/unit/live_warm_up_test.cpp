// CaptureOptions::warm_up on a real child: the walk runs before the pause,
// again on the pause's copy, and once more inside a second pause when the
// target changed in between (the copy lacks a page the walk then needs).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "target/live_process.hpp"
#include "target/proc_fs.hpp"
#include "target/proc_syscall.hpp"

namespace corostack {
namespace {

constexpr size_t kPage = 4096;
constexpr size_t kPages = 64;

// A forked child sharing our address layout: `region` exists in it at the
// same address, with the contents it had at fork. Killed on destruction.
class PausedChild {
 public:
  explicit PausedChild(std::byte* region) : region_(region) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      for (;;) ::pause();
    }
  }
  ~PausedChild() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // Until the child sleeps in pause(2): a thread that is still starting is
  // stopped rather than left alone, which changes what capture() does.
  bool wait_asleep() const {
    for (int i = 0; i < 4000; ++i) {
      auto st = read_proc_stat(pid_);
      auto sc = read_proc_syscall(pid_, pid_);
      if (st && st->state == 'S' && sc && sc->nr >= 0) return true;
      ::usleep(500);
    }
    return false;
  }
  // Writes one word into the child's copy of the region.
  bool poke(size_t page, uint64_t value) {
    iovec local{&value, sizeof value};
    iovec remote{region_ + page * kPage, sizeof value};
    return ::process_vm_writev(pid_, &local, 1, &remote, 1, 0) == sizeof value;
  }

 private:
  std::byte* region_;
  pid_t pid_ = -1;
};

uint64_t word_at(const MemoryReader& mem, uint64_t addr) {
  uint64_t v = 0;
  mem.read(RemoteAddr(addr), std::span<std::byte>(reinterpret_cast<std::byte*>(&v), sizeof v));
  return v;
}

class LiveWarmUpTest : public testing::Test {
 protected:
  void SetUp() override {
    void* p =
        ::mmap(nullptr, kPages * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(p, MAP_FAILED);
    region_ = static_cast<std::byte*>(p);
    // page 0 points at page 8, which holds 0x1111; page 40 holds 0x4444.
    uint64_t to8 = addr(8), v8 = 0x1111, v40 = 0x4444;
    std::memcpy(region_, &to8, 8);
    std::memcpy(region_ + 8 * kPage, &v8, 8);
    std::memcpy(region_ + 40 * kPage, &v40, 8);
  }
  void TearDown() override { ::munmap(region_, kPages * kPage); }
  uint64_t addr(size_t page) const { return reinterpret_cast<uint64_t>(region_ + page * kPage); }

  std::byte* region_ = nullptr;
};

TEST_F(LiveWarmUpTest, UnchangedTargetIsWalkedOnThePausesCopy) {
  PausedChild child(region_);
  ASSERT_TRUE(child.wait_asleep());
  auto proc = LiveProcess::open(child.pid());
  ASSERT_TRUE(proc) << proc.error().message;
  int runs = 0;
  uint64_t seen = 0;
  CaptureOptions opts;
  opts.warm_up = true;
  opts.while_paused = [&](const MemoryReader& mem) {
    ++runs;
    seen = word_at(mem, word_at(mem, addr(0)));
  };
  auto cap = (*proc)->capture(opts);
  ASSERT_TRUE(cap) << cap.error().message;
  EXPECT_EQ(runs, 2);  // warm-up, then the copy
  EXPECT_EQ(seen, 0x1111u);
}

// The child sleeps in pause(2): it is read without being stopped at all.
TEST_F(LiveWarmUpTest, ThreadBlockedInASyscallIsNotStopped) {
  PausedChild child(region_);
  ASSERT_TRUE(child.wait_asleep());
  auto proc = LiveProcess::open(child.pid());
  ASSERT_TRUE(proc) << proc.error().message;
  uint64_t seen = 0;
  std::string tracer;
  CaptureOptions opts;
  opts.while_paused = [&](const MemoryReader& mem) {
    seen = word_at(mem, word_at(mem, addr(0)));
    auto status = read_text_file("/proc/" + std::to_string(child.pid()) + "/status");
    if (!status) return;
    size_t at = status->find("TracerPid:");
    tracer = status->substr(at, status->find('\n', at) - at);
  };
  auto cap = (*proc)->capture(opts);
  ASSERT_TRUE(cap) << cap.error().message;
  EXPECT_EQ(seen, 0x1111u);
  EXPECT_EQ(cap->threads_left_running, 1u);
  EXPECT_EQ(tracer, "TracerPid:\t0") << "the blocked child was seized";
  ASSERT_EQ(cap->threads.size(), 1u);
  EXPECT_TRUE(cap->threads[0].regs_partial);
  EXPECT_EQ(cap->threads[0].regs.orig_rax, 34u);  // pause(2)
  // With stop_blocked_threads it is stopped like any other.
  opts.stop_blocked_threads = true;
  cap = (*proc)->capture(opts);
  ASSERT_TRUE(cap) << cap.error().message;
  EXPECT_EQ(cap->threads_left_running, 0u);
  EXPECT_NE(tracer, "TracerPid:\t0");
  EXPECT_FALSE(cap->threads[0].regs_partial);
}

TEST_F(LiveWarmUpTest, ChangedTargetIsWalkedAgainInsideAPause) {
  PausedChild child(region_);
  ASSERT_TRUE(child.wait_asleep());
  auto proc = LiveProcess::open(child.pid());
  ASSERT_TRUE(proc) << proc.error().message;
  int runs = 0;
  uint64_t seen = 0;
  CaptureOptions opts;
  opts.warm_up = true;
  opts.while_paused = [&](const MemoryReader& mem) {
    seen = word_at(mem, word_at(mem, addr(0)));
    if (++runs == 1) {
      // The target moves on after the warm-up: page 0 now points at page 40,
      // which the warm-up never read.
      ASSERT_TRUE(child.poke(0, addr(40)));
    }
  };
  auto cap = (*proc)->capture(opts);
  ASSERT_TRUE(cap) << cap.error().message;
  EXPECT_EQ(runs, 3);  // warm-up, the copy (missed page 40), inside the pause
  EXPECT_EQ(seen, 0x4444u);
}

TEST_F(LiveWarmUpTest, WithoutWarmUpTheWalkRunsOnceInThePause) {
  PausedChild child(region_);
  ASSERT_TRUE(child.wait_asleep());
  auto proc = LiveProcess::open(child.pid());
  ASSERT_TRUE(proc) << proc.error().message;
  int runs = 0;
  uint64_t seen = 0;
  CaptureOptions opts;
  opts.while_paused = [&](const MemoryReader& mem) {
    ++runs;
    seen = word_at(mem, word_at(mem, addr(0)));
  };
  auto cap = (*proc)->capture(opts);
  ASSERT_TRUE(cap) << cap.error().message;
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(seen, 0x1111u);
}

}  // namespace
}  // namespace corostack
