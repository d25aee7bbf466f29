// The rules a privileged corostack applies before inspecting a process
// (target/access_policy.hpp), on /proc status text and credentials.
#include <gtest/gtest.h>

#include "target/access_policy.hpp"

namespace corostack {
namespace {

const char* kStatus =
    "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\nPid:\t42\nPPid:\t1\n"
    "Uid:\t1000\t1000\t1000\t1000\nGid:\t100\t100\t100\t100\nFDSize:\t64\n"
    "CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n";

ProcessCredentials own_process() {
  auto c = parse_status_credentials(kStatus);
  EXPECT_TRUE(c);
  c->dump_owner = 1000;
  return *c;
}

TEST(AccessPolicy, ParsesEveryIdAndThePermittedSet) {
  auto c =
      parse_status_credentials("Uid:\t1\t2\t3\t4\nGid:\t5\t6\t7\t8\nCapPrm:\t000001ffffffffff\n");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->uids[0], 1u);
  EXPECT_EQ(c->uids[3], 4u);
  EXPECT_EQ(c->gids[2], 7u);
  EXPECT_EQ(c->permitted_capabilities, 0x1ffffffffffull);
}

TEST(AccessPolicy, MissingOrShortLinesAreErrors) {
  EXPECT_FALSE(parse_status_credentials("Name:\tx\n"));
  EXPECT_FALSE(parse_status_credentials("Uid:\t1\t2\nGid:\t1\t1\t1\t1\nCapPrm:\t0\n"));
  EXPECT_FALSE(parse_status_credentials("Uid:\t1\t1\t1\t1\nGid:\t1\t1\t1\t1\n"));
  EXPECT_FALSE(
      parse_status_credentials("Uid:\t99999999999\t1\t1\t1\nGid:\t1\t1\t1\t1\nCapPrm:\t0\n"));
}

TEST(AccessPolicy, OwnDumpableProcessIsAllowed) {
  EXPECT_EQ(inspection_refusal(own_process(), 1000, 100), std::nullopt);
}

TEST(AccessPolicy, RootMayInspectAnything) {
  ProcessCredentials c = own_process();
  c.dump_owner = 0;
  c.permitted_capabilities = ~0ull;
  EXPECT_EQ(inspection_refusal(c, 0, 0), std::nullopt);
}

TEST(AccessPolicy, EveryUidMustBeTheCallers) {
  for (int i = 0; i < 4; ++i) {
    ProcessCredentials c = own_process();
    c.uids[i] = 0;
    auto why = inspection_refusal(c, 1000, 100);
    ASSERT_TRUE(why) << i;
    EXPECT_NE(why->find("uid 0"), std::string::npos) << *why;
    EXPECT_NE(why->find("you are uid 1000"), std::string::npos) << *why;
  }
}

TEST(AccessPolicy, EveryGidMustBeTheCallers) {
  ProcessCredentials c = own_process();
  c.gids[1] = 0;  // setgid program
  auto why = inspection_refusal(c, 1000, 100);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("effective gid 0"), std::string::npos) << *why;
}

TEST(AccessPolicy, NotDumpableIsRefused) {
  ProcessCredentials c = own_process();
  c.dump_owner = 0;
  auto why = inspection_refusal(c, 1000, 100);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("not dumpable"), std::string::npos) << *why;
}

TEST(AccessPolicy, CapabilitiesGainedAreRefused) {
  ProcessCredentials c = own_process();
  c.permitted_capabilities = 1ull << 21;
  auto why = inspection_refusal(c, 1000, 100);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("capabilities"), std::string::npos) << *why;
}

TEST(AccessPolicy, ReadsThisProcess) {
  auto c = read_process_credentials(::getpid());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->uids[0], ::getuid());
  EXPECT_EQ(c->gids[0], ::getgid());
}

}  // namespace
}  // namespace corostack
