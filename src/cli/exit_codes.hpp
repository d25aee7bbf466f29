#pragma once
// Exit codes, documented in --help and README:
//   0 complete, 1 partial (something could not be read; stderr says what),
//   2 fatal (nothing could be read), 64 usage.
namespace corostack {

constexpr int kExitComplete = 0;
constexpr int kExitPartial = 1;
constexpr int kExitFatal = 2;
constexpr int kExitUsage = 64;

constexpr const char* kExitCodesHelp =
    "Exit codes: 0 complete; 1 partial (some thread or frame could not be read, "
    "said on stderr); 2 fatal (nothing could be read); 64 usage error.";

}  // namespace corostack
