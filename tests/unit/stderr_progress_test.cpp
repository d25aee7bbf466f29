// The progress line long commands draw on a terminal (cli/stderr_progress.hpp).
#include <gtest/gtest.h>

#include "cli/stderr_progress.hpp"

namespace corostack {
namespace {

TEST(StderrProgress, BytesWithTotalShowAPercentage) {
  EXPECT_EQ(StderrProgress::text("scanning memory for coroutine frames", uint64_t{3} << 29,
                                 uint64_t{4} << 30),
            "corostack: scanning memory for coroutine frames: 1.5 GiB of 4.0 GiB (37%)");
}

TEST(StderrProgress, SmallAmountsInMebibytesAndNoTotal) {
  EXPECT_EQ(StderrProgress::text("writing the core", uint64_t{5} << 20, 0),
            "corostack: writing the core: 5 MiB");
}

TEST(StderrProgress, WatchingCountsSeconds) {
  EXPECT_EQ(StderrProgress::text("watching", 1200, 2000), "corostack: watching: 1.2 s of 2.0 s");
}

TEST(StderrProgress, NeverMoreThanAHundredPercent) {
  EXPECT_NE(StderrProgress::text("x", 10, 5).find("(100%)"), std::string::npos);
}

}  // namespace
}  // namespace corostack
