#include "native/dwfl_session.hpp"

#include <gtest/gtest.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "native/symbolizer.hpp"
#include "target/fake_target.hpp"
#include "target/memory_map.hpp"

namespace corostack {
namespace {

std::vector<std::byte> file_bytes(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::byte> out(n);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(n));
  return out;
}

int count_one(Dwfl_Module*, void**, const char*, Dwarf_Addr, void* arg) {
  ++*static_cast<int*>(arg);
  return DWARF_CB_OK;
}

int count_modules(Dwfl* dwfl) {
  int n = 0;
  dwfl_getmodules(dwfl, count_one, &n, 0);
  return n;
}

// Mapped data files (locale archives, caches) are not modules and must not
// produce warnings; an ELF image is reported.
TEST(DwflSession, ReportsElfImagesOnlyAndStaysQuietAboutDataFiles) {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  ASSERT_GT(n, 0);
  std::string self(buf, static_cast<size_t>(n));
  std::filesystem::path data = std::filesystem::temp_directory_path() / "corostack_data_file";
  std::ofstream(data) << std::string(8192, 'x');

  FakeTarget target;
  target.add_region(RemoteAddr(0x10000000), file_bytes(self, 8192), "r--p", self, 0);
  target.add_region(RemoteAddr(0x20000000), file_bytes(data.string(), 8192), "r--p", data.string(),
                    0);
  auto session = DwflSession::create(target);
  ASSERT_TRUE(session.ok()) << session.error().message;
  EXPECT_TRUE((*session)->warnings().empty()) << (*session)->warnings().front();
  EXPECT_EQ(count_modules((*session)->dwfl()), 1);
  std::filesystem::remove(data);
}

TEST(DwflSession, WarnsAboutAnElfImageItCannotOpen) {
  FakeTarget target;
  std::vector<std::byte> header(4096);
  std::memcpy(header.data(),
              "\x7f"
              "ELF",
              4);
  target.add_region(RemoteAddr(0x10000000), header, "r-xp", "/nonexistent/libgone.so", 0);
  auto session = DwflSession::create(target);
  ASSERT_TRUE(session.ok());
  ASSERT_EQ((*session)->warnings().size(), 1u);
  EXPECT_NE((*session)->warnings()[0].find("libgone.so"), std::string::npos);
}

}  // namespace
}  // namespace corostack

namespace corostack {
namespace {

// The vDSO has no file: its image is copied from target memory, found through
// AT_SYSINFO_EHDR, so frames in clock_gettime & co. get names.
TEST(DwflSession, ReportsTheVdsoFromMemory) {
  uint64_t vdso = ::getauxval(AT_SYSINFO_EHDR);
  if (!vdso) GTEST_SKIP() << "SKIPPED LOUDLY: this process has no vDSO";
  std::ifstream in("/proc/self/maps");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::vector<MemoryMap> maps = parse_proc_maps(text);  // find_map points into it
  const MemoryMap* m = find_map(maps, RemoteAddr(vdso));
  ASSERT_NE(m, nullptr);
  size_t size = m->end - RemoteAddr(vdso);
  std::vector<std::byte> image(size);
  std::memcpy(image.data(), reinterpret_cast<const void*>(vdso), size);

  constexpr uint64_t kFakeVdso = 0x7fff00000000;
  FakeTarget target;
  target.add_region(RemoteAddr(kFakeVdso), image, "r-xp", "[vdso]");
  target.set_auxv({{AT_SYSINFO_EHDR, kFakeVdso}});
  auto session = DwflSession::create(target);
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(count_modules((*session)->dwfl()), 1);
  Symbolizer symbolizer(**session);
  std::set<std::string> names;
  for (uint64_t off = 0; off < size; off += 8) {
    const auto& frames = symbolizer.symbolize(kFakeVdso + off, true);
    // The mapping can be larger than the image's PT_LOAD: only symbols count.
    if (!frames.back().function) continue;
    names.insert(*frames.back().function);
    EXPECT_EQ(frames.back().module, "[vdso]");
  }
  EXPECT_TRUE(names.count("__vdso_clock_gettime") || names.count("clock_gettime"))
      << "names found: " << names.size();
}

}  // namespace
}  // namespace corostack
