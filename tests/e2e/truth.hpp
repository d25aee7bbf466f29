#pragma once
// The truth file a test target writes about itself (tests/targets/target_common.hpp):
//
//   pid 1234
//   exe /path/to/native_threads_O0
//   thread 1235 reader reader_level1,reader_level2,reader_level3,reader_thread
//
// Chains list the target's own functions, innermost first, by plain name.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace e2e {

struct TruthThread {
  pid_t tid = 0;
  std::string name;  // comm as the kernel reported it
  std::vector<std::string> chain;
};

struct Truth {
  pid_t pid = 0;
  std::string exe;
  std::vector<TruthThread> threads;

  const TruthThread* thread(pid_t tid) const;
};

// Throw std::runtime_error on malformed input.
Truth parse_truth(const std::string& text);
Truth read_truth(const std::filesystem::path& path);

}  // namespace e2e
