// for_each_heap_object_of_type over hand-built free-threaded objects in a
// FakeTarget (3.14t layout): live tracked objects of the type are found; a
// freed copy (untracked), one whose count is zero, other types, pages the
// data runs leave out and mappings that are not anonymous
// read-write memory are not; the byte bound stops the scan and says so.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <vector>

#include "python/heap_object_scan.hpp"
#include "python/python_versions.hpp"
#include "target/fake_target.hpp"

namespace corostack::python {
namespace {

constexpr uint64_t kBase = 0x40000000;
constexpr uint64_t kSize = 3 * 4096;
constexpr uint64_t kType = 0x7000;

void object(std::vector<std::byte>& mem, uint64_t off, uint64_t type, uint8_t gc_bits,
            uint32_t local_refs) {
  std::memcpy(mem.data() + off + 24, &type, 8);
  std::memcpy(mem.data() + off + 11, &gc_bits, 1);
  std::memcpy(mem.data() + off + 12, &local_refs, 4);
}

struct Heap {
  FakeTarget fake;
  std::vector<MemoryMap> maps;
  Heap() {
    std::vector<std::byte> mem(kSize);
    object(mem, 0x40, kType, 1, 1);             // live, tracked: found
    object(mem, 0x100, kType, 0, 1);            // freed (untracked): not
    object(mem, 0x180, kType, 1, 0);            // no references: not
    object(mem, 0x200, kType + 8, 1, 1);        // another type: not
    object(mem, 4096 + 0x80, kType, 1, 2);      // second page: found unless absent
    object(mem, 4096 - 16, kType, 1, 1);        // header across the page end: found
    object(mem, 2 * 4096 + 0x10, kType, 1, 1);  // third page
    fake.add_region(RemoteAddr(kBase), mem);
    MemoryMap m;
    m.start = RemoteAddr(kBase);
    m.end = RemoteAddr(kBase + kSize);
    m.set_permissions("rw-p");
    maps.push_back(m);
  }
};

std::set<uint64_t> scan(Heap& h, const DataRuns& data_runs, uint64_t max_bytes = 1 << 20,
                        GcWalkResult* result = nullptr) {
  const PythonLayout* l = layout_for(3, 14, true);
  EXPECT_NE(l, nullptr);
  RemoteObjects ro(h.fake, *l);
  std::set<uint64_t> found;
  GcWalkResult r = for_each_heap_object_of_type(ro, h.maps, RemoteAddr(kType), max_bytes, data_runs,
                                                [&](RemoteAddr a) {
                                                  found.insert(a.value() - kBase);
                                                  return true;
                                                });
  if (result) *result = r;
  return found;
}

TEST(HeapObjectScan, FindsLiveTrackedObjectsOfTheType) {
  Heap h;
  EXPECT_EQ(scan(h, {}), (std::set<uint64_t>{0x40, 4096 - 16, 4096 + 0x80, 2 * 4096 + 0x10}));
}

TEST(HeapObjectScan, SkipsPagesThatAreNotResident) {
  Heap h;
  auto second_absent = [](uint64_t, uint64_t pages, const auto& on_run) {
    on_run(0, 1);
    on_run(2, pages - 2);
    return true;
  };
  EXPECT_EQ(scan(h, second_absent), (std::set<uint64_t>{0x40, 2 * 4096 + 0x10}));
}

TEST(HeapObjectScan, OnlyAnonymousReadWriteMemory) {
  Heap h;
  h.maps[0].path = "/usr/lib/libpython3.14t.so";
  EXPECT_TRUE(scan(h, {}).empty());
  h.maps[0].path = "";
  h.maps[0].set_permissions("r--p");
  EXPECT_TRUE(scan(h, {}).empty());
}

TEST(HeapObjectScan, TheByteBoundStopsAndSaysSo) {
  Heap h;
  h.maps.push_back(h.maps[0]);  // read twice: the bound is met on the second
  GcWalkResult r;
  scan(h, {}, kSize, &r);
  EXPECT_TRUE(r.truncated);
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors[0].find("scanned the first"), std::string::npos);
}

}  // namespace
}  // namespace corostack::python
