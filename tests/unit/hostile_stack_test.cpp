// The native walk over hostile memory: garbage registers, a stack full of one
// return address, a frame-pointer cycle, a thread without registers. The dump
// must stay bounded, mark what it could not read, and never crash or hang.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include "snapshot/native_snapshot.hpp"
#include "target/fake_target.hpp"
#include "target/memory_map.hpp"

namespace corostack {
namespace {

__attribute__((noinline)) int hostile_marker_function(int x) {
  asm volatile("" ::: "memory");
  return x + 1;
}

constexpr uint64_t kFakeBase = 0x10000000;
constexpr uint64_t kStackBase = 0x7f0000000000;
constexpr size_t kStackSize = 1 << 20;

struct SelfImage {
  std::string path;
  uint64_t load_bias = 0;  // where our own executable is really mapped
  uint64_t span = 0;       // bytes from its first to its last mapping
};

SelfImage self_image() {
  SelfImage img;
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  img.path.assign(buf, n > 0 ? static_cast<size_t>(n) : 0);
  std::ifstream in("/proc/self/maps");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  uint64_t first = 0, last = 0;
  for (const MemoryMap& m : parse_proc_maps(text)) {
    if (m.path != img.path) continue;
    if (!first) first = m.start.value();
    last = m.end.value();
  }
  img.load_bias = first;
  img.span = last - first;
  return img;
}

ThreadState thread(pid_t tid, uint64_t rip, uint64_t rsp, uint64_t rbp) {
  ThreadState t;
  t.tid = tid;
  t.name = "t" + std::to_string(tid);
  t.state = 'S';
  t.regs_valid = true;
  t.regs.rip = rip;
  t.regs.rsp = rsp;
  t.regs.rbp = rbp;
  t.regs.orig_rax = static_cast<uint64_t>(-1);
  return t;
}

void put64(std::vector<std::byte>& v, size_t off, uint64_t x) {
  std::memcpy(v.data() + off, &x, 8);
}

TEST(HostileStack, BoundedPartialDumpNeverCrashes) {
  SelfImage img = self_image();
  ASSERT_FALSE(img.path.empty());
  ASSERT_GT(img.span, 0u);
  // Our own executable, mapped again at a fake base: libdwfl reads its CFI
  // from the file, the fake target serves (zero) bytes for its memory.
  const uint64_t marker =
      reinterpret_cast<uint64_t>(&hostile_marker_function) - img.load_bias + kFakeBase;

  FakeTarget target;
  target.set_pid(100);
  // Its first page as the file has it: modules are recognised by their ELF header.
  std::vector<std::byte> image(img.span);
  std::ifstream(img.path, std::ios::binary).read(reinterpret_cast<char*>(image.data()), 4096);
  target.add_region(RemoteAddr(kFakeBase), std::move(image), "r-xp", img.path, 0);

  // A stack where every word is a return address into the marker function:
  // each "frame" unwinds into another, until the stack or the cap runs out.
  std::vector<std::byte> stack(kStackSize);
  for (size_t off = 0; off + 8 <= kStackSize; off += 8) put64(stack, off, marker + 1);
  // A frame-pointer cycle at the top: [rbp] = rbp, [rbp+8] = garbage pc.
  const uint64_t cycle = kStackBase + kStackSize - 64;
  put64(stack, kStackSize - 64, cycle);
  put64(stack, kStackSize - 56, 0x4141414141414141);
  target.add_region(RemoteAddr(kStackBase), std::move(stack), "rw-p", "[stack]");

  target.add_thread(thread(100, marker, kStackBase + 4096, 0));  // repeating return addresses
  target.add_thread(thread(101, 0x4141414141414141, 0x4242424242424242, 7));  // garbage everywhere
  target.add_thread(thread(102, 0x13, cycle, cycle));                         // frame-pointer cycle
  ThreadState no_regs;
  no_regs.tid = 103;
  no_regs.error = "did not stop in time";
  target.add_thread(no_regs);

  NativeSnapshotOptions opts;
  opts.max_frames = 64;
  auto snap = take_native_snapshot(target, opts);
  ASSERT_TRUE(snap.ok()) << snap.error().message;
  ASSERT_EQ(snap->threads.size(), 4u);
  EXPECT_FALSE(snap->complete());
  for (const ThreadSnapshot& t : snap->threads) {
    SCOPED_TRACE("tid " + std::to_string(t.tid));
    // Physical frames are capped; inlined expansions ride on them.
    size_t physical = 0;
    for (const Frame& f : t.frames) physical += f.inlined ? 0 : 1;
    EXPECT_LE(physical, opts.max_frames);
    std::cout << "[ info ] tid " << t.tid << ": " << physical << " frames"
              << (t.errors.empty() ? "" : ", " + t.errors.front()) << "\n";
  }
  const ThreadSnapshot& looping = snap->threads[0];
  ASSERT_FALSE(looping.frames.empty());
  ASSERT_TRUE(looping.frames[0].function.has_value());
  EXPECT_NE(looping.frames[0].function->find("hostile_marker_function"), std::string::npos);
  EXPECT_FALSE(looping.errors.empty())
      << "a walk that ran into the cap or off the stack must say so";
  EXPECT_FALSE(snap->threads[3].errors.empty());
  EXPECT_TRUE(snap->threads[3].frames.empty());
}

}  // namespace
}  // namespace corostack
