// asyncio::reachability over hand-built objects in a FakeTarget, laid out
// through the real layout tables of 3.10 (PyFrameObject), 3.12 (stacktop),
// 3.14 (stackpointer, tagged stack references) and 3.14t (split reference
// counts): a future only its task holds, one held elsewhere, one weakly
// referenced, a FutureIter shared with someone else, a borrowed stack slot,
// and hostile frames and counts, which must give kUnknown, never a guess.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "asyncio/orphaned_waits.hpp"
#include "python/python_versions.hpp"
#include "python/remote_object.hpp"
#include "target/fake_target.hpp"

namespace corostack::asyncio {
namespace {

using python::FieldLoc;
using python::PythonLayout;

constexpr uint64_t kBase = 0x20000000;
constexpr uint64_t kWeaklistOffset = 64;  // where the fake future type keeps its weakref list

struct Version {
  int minor;
  bool free_threaded;
};

class Heap {
 public:
  explicit Heap(const PythonLayout& l) : l_(l), buf_(1 << 16) {}
  uint64_t alloc(size_t n) {
    size_t at = (used_ + 15) & ~size_t{15};
    used_ = at + n;
    return kBase + at;
  }
  void put(uint64_t addr, uint64_t v, size_t size = 8) {
    std::memcpy(buf_.data() + (addr - kBase), &v, size);
  }
  void set(uint64_t obj, FieldLoc f, uint64_t v) { put(obj + f.offset, v, f.size); }
  uint64_t type(const std::string& name, uint64_t weaklist = 0) {
    uint64_t t = alloc(512);
    uint64_t s = alloc(name.size() + 1);
    std::memcpy(buf_.data() + (s - kBase), name.c_str(), name.size() + 1);
    put(t + l_.type_name.offset, s);
    put(t + l_.type_flags.offset + 40, weaklist);
    return t;
  }
  uint64_t object(uint64_t type, uint64_t refs) {
    uint64_t o = alloc(128) + 32;  // room for a pre-header
    set(o, l_.object_type, type);
    set_refs(o, refs);
    return o;
  }
  void set_refs(uint64_t o, uint64_t refs) {
    if (l_.free_threaded) {
      put(o + 12, refs / 2, 4);             // ob_ref_local
      put(o + 16, (refs - refs / 2) << 2);  // ob_ref_shared, shifted
    } else {
      put(o + l_.object_type.offset - 8, refs);
    }
  }
  // A suspended frame holding `slots` (raw bits): locals then value stack.
  uint64_t frame(const std::vector<uint64_t>& slots, int64_t depth_override = -1) {
    uint64_t f = alloc(512 + 8 * slots.size());
    FieldLoc base = l_.iframe_localsplus.present() ? l_.iframe_localsplus : l_.frame_localsplus;
    for (size_t i = 0; i < slots.size(); ++i) put(f + base.offset + 8 * i, slots[i]);
    uint64_t n = depth_override >= 0 ? static_cast<uint64_t>(depth_override) : slots.size();
    if (l_.iframe_stackpointer.present()) {
      set(f, l_.iframe_stackpointer, f + base.offset + 8 * n);
    } else if (l_.iframe_stacktop.present()) {
      set(f, l_.iframe_stacktop, n);
    } else if (l_.frame_stackdepth.present()) {  // 3.10: every slot counted as value stack
      set(f, l_.frame_valuestack, f + base.offset);
      set(f, l_.frame_stackdepth, n);
    } else {
      set(f, l_.frame_stacktop, f + base.offset + 8 * n);
    }
    return f;
  }
  void finish(FakeTarget& fake) {
    buf_.resize(used_ + 64);
    std::vector<std::byte> bytes(buf_.size());
    std::memcpy(bytes.data(), buf_.data(), buf_.size());
    fake.add_region(RemoteAddr(kBase), std::move(bytes));
  }

 private:
  const PythonLayout& l_;
  std::vector<uint8_t> buf_;
  size_t used_ = 0;
};

class OrphanedWaitsTest : public testing::TestWithParam<Version> {
 protected:
  void SetUp() override {
    layout_ = python::layout_for(3, GetParam().minor, GetParam().free_threaded);
    ASSERT_NE(layout_, nullptr);
  }
  // Builds a task's frame [fut, iter] with `fut` at fut_refs and the iter at
  // iter_refs, then asks whether the future is the task's alone.
  Reachability ask(uint64_t fut_refs, uint64_t iter_refs, uint64_t weaklist = 0,
                   uint64_t fut_tag = 0, int64_t depth = -1, uint64_t* count = nullptr) {
    Heap h(*layout_);
    uint64_t fut = h.object(h.type("_asyncio.Future", kWeaklistOffset), fut_refs);
    h.put(fut + kWeaklistOffset, weaklist);
    uint64_t iter = h.object(h.type("_asyncio.FutureIter"), iter_refs);
    h.set(iter, layout_->futureiter_future, fut);
    uint64_t frame = h.frame({fut | fut_tag, iter}, depth);
    FakeTarget fake;
    h.finish(fake);
    python::RemoteObjects ro(fake, *layout_);
    std::vector<RemoteAddr> frames{RemoteAddr(frame)};
    return reachability(ro, frames, RemoteAddr(fut), 1, count);
  }
  const PythonLayout* layout_ = nullptr;
};

TEST_P(OrphanedWaitsTest, OnlyTheTaskHoldsIt) {
  uint64_t count = 0;
  // _fut_waiter, the local, the FutureIter on the value stack.
  EXPECT_EQ(ask(3, 1, 0, 0, -1, &count), Reachability::kOnlyFromTask);
  EXPECT_EQ(count, 3u);
}

TEST_P(OrphanedWaitsTest, AnotherReferenceMeansReachable) {
  EXPECT_EQ(ask(4, 1), Reachability::kElsewhere);
}

TEST_P(OrphanedWaitsTest, AWeakReferenceMeansReachable) {
  EXPECT_EQ(ask(3, 1, /*weaklist=*/kBase), Reachability::kElsewhere);
}

TEST_P(OrphanedWaitsTest, AnIteratorSomeoneElseHoldsIsNotTheTasks) {
  EXPECT_EQ(ask(3, 2), Reachability::kElsewhere);
}

TEST_P(OrphanedWaitsTest, TaggedSlotsOwnNoReference) {
  if (GetParam().minor < 14) GTEST_SKIP() << "untagged stack references before 3.14";
  EXPECT_EQ(ask(3, 1, 0, /*tag=*/1), Reachability::kElsewhere);
  EXPECT_EQ(ask(2, 1, 0, /*tag=*/1), Reachability::kOnlyFromTask);
}

TEST_P(OrphanedWaitsTest, HostileMemoryIsUnknownNotAGuess) {
  EXPECT_EQ(ask(1, 1), Reachability::kUnknown);                           // more found than it has
  EXPECT_EQ(ask(3, 1, 0, 0, /*depth=*/1 << 24), Reachability::kUnknown);  // absurd stack
  EXPECT_EQ(ask(3, 1, 0, 0, /*depth=*/4000), Reachability::kUnknown);     // slots past the map
  EXPECT_EQ(ask(0, 1), Reachability::kUnknown);                           // a zero count
  EXPECT_EQ(ask(uint64_t{1} << 40, 1), Reachability::kUnknown);           // an impossible one
  Heap h(*layout_);
  uint64_t fut = h.object(h.type("_asyncio.Future"), 3);
  FakeTarget fake;
  h.finish(fake);
  python::RemoteObjects ro(fake, *layout_);
  std::vector<RemoteAddr> unmapped{RemoteAddr(0xdead0000)};
  EXPECT_EQ(reachability(ro, unmapped, RemoteAddr(fut), 1), Reachability::kUnknown);
  EXPECT_EQ(reachability(ro, {}, RemoteAddr(0xdead0000), 1), Reachability::kUnknown);
}

TEST_P(OrphanedWaitsTest, ImmortalObjectsAreUnknown) {
  if (GetParam().minor < 12) GTEST_SKIP() << "no immortal objects before 3.12";
  uint64_t immortal =
      GetParam().free_threaded ? 0 : (GetParam().minor >= 14 ? 3u << 30 : 0xffffffffu);
  if (GetParam().free_threaded) {
    Heap h(*layout_);
    uint64_t fut = h.object(h.type("_asyncio.Future"), 3);
    h.put(fut + 12, 0xffffffffu, 4);
    FakeTarget fake;
    h.finish(fake);
    python::RemoteObjects ro(fake, *layout_);
    EXPECT_EQ(reachability(ro, {}, RemoteAddr(fut), 0), Reachability::kUnknown);
    return;
  }
  EXPECT_EQ(ask(immortal, 1), Reachability::kUnknown);
}

INSTANTIATE_TEST_SUITE_P(Layouts, OrphanedWaitsTest,
                         testing::Values(Version{10, false}, Version{12, false}, Version{14, false},
                                         Version{14, true}),
                         [](const testing::TestParamInfo<Version>& info) {
                           return "py3_" + std::to_string(info.param.minor) +
                                  (info.param.free_threaded ? "t" : "");
                         });

}  // namespace
}  // namespace corostack::asyncio
