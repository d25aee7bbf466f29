// What secure mode removes from the environment, and what a process that was
// never privileged looks like (target/caller_identity.hpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "target/caller_identity.hpp"

namespace corostack {
namespace {

TEST(CallerIdentity, BehaviourChangingVariables) {
  for (const char* v : {"DEBUGINFOD_URLS", "DEBUGINFOD_CACHE_PATH", "XDG_CACHE_HOME",
                        "COROSTACK_TEST_HOLD_PAUSE_US", "COROSTACK_NO_SANDBOX"})
    EXPECT_TRUE(is_behaviour_changing_variable(v)) << v;
  for (const char* v : {"PATH", "HOME", "NO_COLOR", "TERM", "LANG", "MY_DEBUGINFOD_URLS"})
    EXPECT_FALSE(is_behaviour_changing_variable(v)) << v;
}

TEST(CallerIdentity, AnUnprivilegedRunIsNotSecureAndSeesItsEnvironment) {
  ASSERT_TRUE(enter_caller_identity());
  EXPECT_FALSE(caller_identity().secure);
  EXPECT_EQ(caller_identity().uid, ::getuid());
  ::setenv("COROSTACK_UNIT_PROBE", "1", 1);
  ASSERT_NE(trusted_getenv("COROSTACK_UNIT_PROBE"), nullptr);
  EXPECT_STREQ(trusted_getenv("COROSTACK_UNIT_PROBE"), "1");
  ::unsetenv("COROSTACK_UNIT_PROBE");
  EXPECT_TRUE(drop_all_capabilities_in_child());  // nothing to drop: a no-op
}

}  // namespace
}  // namespace corostack
