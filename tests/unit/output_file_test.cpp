// Output files are never written through links planted by others, never into
// files others own (target/output_file.hpp). Run as root, the tests plant
// files and links as another user with lchown.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "target/output_file.hpp"

namespace corostack {
namespace {

constexpr uid_t kOther = 65534;  // nobody

class OutputFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/corostack-output-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_EQ(::chmod(dir_.c_str(), 01777), 0);  // like /tmp
  }
  void TearDown() override { (void)std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string path(const char* name) const { return dir_ + "/" + name; }
  static std::string contents(const std::string& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static void write(const std::string& p, const std::string& text) { std::ofstream(p) << text; }
  std::string dir_;
};

TEST_F(OutputFileTest, NewFileGetsTheModeAndTheCallersOwner) {
  auto fd = open_output_file(path("core"), 0600);
  ASSERT_TRUE(fd) << fd.error().message;
  struct stat st {};
  ASSERT_EQ(::fstat(*fd, &st), 0);
  ::close(*fd);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_uid, ::geteuid());
}

TEST_F(OutputFileTest, OwnExistingFileIsTruncatedAndNarrowedForSecrets) {
  write(path("mine"), "old contents");
  ASSERT_EQ(::chmod(path("mine").c_str(), 0644), 0);
  auto fd = open_output_file(path("mine"), 0600);
  ASSERT_TRUE(fd) << fd.error().message;
  ::close(*fd);
  EXPECT_EQ(contents(path("mine")), "");
  struct stat st {};
  ASSERT_EQ(::stat(path("mine").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 077, 0u);
}

TEST_F(OutputFileTest, AFileAnotherUserPlantedIsNotWritten) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to plant another user's file";
  write(path("planted"), "theirs");
  ASSERT_EQ(::chown(path("planted").c_str(), kOther, kOther), 0);
  auto fd = open_output_file(path("planted"), 0666);
  ASSERT_FALSE(fd);
  EXPECT_NE(fd.error().message.find("belongs to uid 65534"), std::string::npos)
      << fd.error().message;
  EXPECT_EQ(contents(path("planted")), "theirs");
}

TEST_F(OutputFileTest, ALinkAnotherUserPlantedInASharedDirectoryIsNotFollowed) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to plant another user's link";
  write(path("victim"), "precious");
  ASSERT_EQ(::symlink(path("victim").c_str(), path("trap").c_str()), 0);
  ASSERT_EQ(::lchown(path("trap").c_str(), kOther, kOther), 0);
  auto fd = open_output_file(path("trap"), 0666);
  ASSERT_FALSE(fd);
  EXPECT_NE(fd.error().message.find("symbolic link"), std::string::npos) << fd.error().message;
  EXPECT_EQ(contents(path("victim")), "precious");
}

TEST_F(OutputFileTest, OwnLinkIsFollowed) {
  write(path("target"), "old");
  ASSERT_EQ(::symlink(path("target").c_str(), path("link").c_str()), 0);
  auto fd = open_output_file(path("link"), 0666);
  ASSERT_TRUE(fd) << fd.error().message;
  ASSERT_EQ(::write(*fd, "new", 3), 3);
  ::close(*fd);
  EXPECT_EQ(contents(path("target")), "new");
}

TEST_F(OutputFileTest, DevicesAreWrittenAsTheyAre) {
  auto fd = open_output_file("/dev/null", 0666);
  ASSERT_TRUE(fd) << fd.error().message;
  ::close(*fd);
}

TEST_F(OutputFileTest, DirectoriesAndMissingParentsAreErrors) {
  EXPECT_FALSE(open_output_file(dir_, 0666));
  EXPECT_FALSE(open_output_file(path("no/such/dir/file"), 0666));
}

}  // namespace
}  // namespace corostack
