// The cache of inflated debug files (native/debug_cache.hpp): what the writer
// refuses (files outside /usr/lib/debug, bad or wrong build-ids), what it
// writes from glibc's compressed debug file (Debian's libc6-dbg: no section
// left compressed, the same build-id, the same compile units for libdw), and
// what the analysis side refuses to open.
#include <dirent.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "native/debug_cache.hpp"

namespace corostack {
namespace {

namespace fs = std::filesystem;

class DebugCacheTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/corostack-debug-cache-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    ::setenv("XDG_CACHE_HOME", root_.c_str(), 1);
    ::unsetenv("COROSTACK_DEBUG_CACHE_MIB");
    dir_ = *debug_cache_dir();
  }
  void TearDown() override {
    fs::remove_all(root_);
    ::unsetenv("XDG_CACHE_HOME");
  }

  // glibc's debug file from libc6-dbg and its build-id, or "" when absent.
  static std::pair<std::string, std::string> libc_debug_file() {
    elf_version(EV_CURRENT);
    int fd = ::open("/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
    std::string id;
    Elf_Scn* scn = nullptr;
    while (elf && id.empty() && (scn = elf_nextscn(elf, scn)) != nullptr) {
      GElf_Shdr shdr;
      Elf_Data* data;
      if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE ||
          !(data = elf_getdata(scn, nullptr)))
        continue;
      GElf_Nhdr nhdr;
      size_t off = 0, name_off, desc_off;
      while (id.empty() && (off = gelf_getnote(data, off, &nhdr, &name_off, &desc_off)) > 0) {
        if (nhdr.n_type != NT_GNU_BUILD_ID) continue;
        const auto* bits = static_cast<const unsigned char*>(data->d_buf) + desc_off;
        for (size_t i = 0; i < nhdr.n_descsz; ++i) {
          char hex[3];
          std::snprintf(hex, sizeof hex, "%02x", bits[i]);
          id += hex;
        }
      }
    }
    if (elf) elf_end(elf);
    ::close(fd);
    if (id.size() < 4) return {};
    std::string path =
        "/usr/lib/debug/.build-id/" + id.substr(0, 2) + "/" + id.substr(2) + ".debug";
    if (!fs::exists(path)) return {};
    return {path, id};
  }

  std::string root_, dir_;
};

bool has_compressed_sections(const std::string& path, std::string* build_id) {
  int fd = ::open(path.c_str(), O_RDONLY);
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  bool compressed = false;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) && (shdr.sh_flags & SHF_COMPRESSED)) compressed = true;
  }
  elf_end(elf);
  ::close(fd);
  (void)build_id;
  return compressed;
}

size_t compile_units(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  Dwarf* dw = dwarf_begin(fd, DWARF_C_READ);
  size_t n = 0;
  Dwarf_Off off = 0, next;
  size_t hsize;
  while (dw && dwarf_nextcu(dw, off, &next, &hsize, nullptr, nullptr, nullptr) == 0) {
    ++n;
    off = next;
  }
  if (dw) dwarf_end(dw);
  ::close(fd);
  return n;
}

TEST_F(DebugCacheTest, RefusesWhatItDoesNotTrust) {
  std::string outside = root_ + "/x.debug";
  std::ofstream(outside) << "not elf";
  EXPECT_FALSE(cache_debug_file(dir_, "0123456789abcdef", outside));
  EXPECT_FALSE(cache_debug_file(dir_, "../../etc/passwd", "/usr/lib/debug/x"));
  EXPECT_FALSE(cache_debug_file(dir_, "0123456789ABCDEF", "/usr/lib/debug/x"));
  EXPECT_FALSE(fs::exists(dir_ + "/0123456789abcdef.debug"));
}

TEST_F(DebugCacheTest, InflatesGlibcsDebugFileUnderItsOwnBuildId) {
  auto [path, id] = libc_debug_file();
  if (path.empty())
    GTEST_SKIP() << "SKIPPED LOUDLY: no debug file under /usr/lib/debug (libc6-dbg)";
  ASSERT_TRUE(elf_version(EV_CURRENT) != EV_NONE);
  // The wrong id for the file: refused.
  EXPECT_FALSE(cache_debug_file(dir_, std::string(id.size(), 'a'), path));
  auto st = cache_debug_file(dir_, id, path);
  ASSERT_TRUE(st) << st.error().message;
  std::string copy = dir_ + "/" + id + ".debug";
  if (!has_compressed_sections(path, nullptr)) {
    EXPECT_TRUE(fs::exists(dir_ + "/" + id + ".uncompressed"));
    GTEST_SKIP() << path << " has no compressed sections: only the marker is written";
  }
  ASSERT_TRUE(fs::exists(copy));
  EXPECT_FALSE(has_compressed_sections(copy, nullptr));
  EXPECT_EQ(compile_units(copy), compile_units(path));
  EXPECT_GT(compile_units(copy), 0u);
  struct stat s {};
  ASSERT_EQ(::stat(copy.c_str(), &s), 0);
  EXPECT_EQ(s.st_mode & 0777, 0600u);
  std::string opened;
  int fd = open_cached_debuginfo(id, &opened);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(opened, copy);
  if (fd >= 0) ::close(fd);
  // Someone else could have written a group-writable entry: not believed.
  ::chmod(copy.c_str(), 0620);
  EXPECT_LT(open_cached_debuginfo(id, &opened), 0);
  // A limit smaller than the copy evicts it on the next write.
  ::setenv("COROSTACK_DEBUG_CACHE_MIB", "1", 1);
  fs::remove(copy);
  ASSERT_TRUE(cache_debug_file(dir_, id, path));
  EXPECT_FALSE(fs::exists(copy));
}

TEST_F(DebugCacheTest, OffWhenTheLimitIsZero) {
  ::setenv("COROSTACK_DEBUG_CACHE_MIB", "0", 1);
  EXPECT_FALSE(debug_cache_dir());
  ::unsetenv("COROSTACK_DEBUG_CACHE_MIB");
}

}  // namespace
}  // namespace corostack
