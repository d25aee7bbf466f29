// corostack_fuzz_replay: every file of fuzz/corpus/<target>/ through its fuzz
// entry point, in any build (no libFuzzer needed). A crash or a broken
// FUZZ_CHECK fails the test; so does an input slower than 10 s.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fuzz_entry.hpp"
#include "target/sandbox.hpp"

namespace {

using Entry = int (*)(const uint8_t*, size_t);

struct Target {
  const char* name;
  Entry entry;
};

const Target kTargets[] = {
    {"fuzz_core_file", fuzz_core_file},
    {"fuzz_proc_parsers", fuzz_proc_parsers},
    {"fuzz_python_walker", fuzz_python_walker},
    {"fuzz_asyncio_walker", fuzz_asyncio_walker},
    {"fuzz_coro", fuzz_coro},
    {"fuzz_renderers", fuzz_renderers},
    {"fuzz_profile_writers", fuzz_profile_writers},
    {"fuzz_syscall_decoders", fuzz_syscall_decoders},
    {"fuzz_doctor", fuzz_doctor},
    {"fuzz_variables", fuzz_variables},
    {"fuzz_bpf_record", fuzz_bpf_record},
};

void PrintTo(const Target& t, std::ostream* os) {
  *os << t.name;
}

std::vector<uint8_t> read_file(const std::filesystem::path& f) {
  std::ifstream in(f, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

class FuzzReplay : public ::testing::TestWithParam<Target> {};

TEST_P(FuzzReplay, Corpus) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(COROSTACK_FUZZ_CORPUS) / GetParam().name;
  ASSERT_TRUE(fs::is_directory(dir)) << dir << " is missing: every target has a seed corpus";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  EXPECT_FALSE(files.empty()) << dir;
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    std::vector<uint8_t> bytes = read_file(f);
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(GetParam().entry(bytes.data(), bytes.size()), 0);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  }
  // The empty input and a one-byte input are always valid inputs too.
  const uint8_t zero = 0;
  EXPECT_EQ(GetParam().entry(&zero, 0), 0);
  EXPECT_EQ(GetParam().entry(&zero, 1), 0);
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzReplay, ::testing::ValuesIn(kTargets),
                         [](const auto& info) { return std::string(info.param.name); });

// Found by review while fuzzing: a core whose NT_FILE names a FIFO made
// CoreFile::open block forever in open(2). The seed core names
// /tmp/fz/tiny (12 bytes); the copy names a FIFO of a path as long.
TEST(FuzzRegression, CoreNamingAFifoDoesNotHang) {
  auto core =
      read_file(std::filesystem::path(COROSTACK_FUZZ_CORPUS) / "fuzz_core_file/gcore-static-notes");
  const std::string old_path = "/tmp/fz/tiny";
  char fifo[32];
  std::snprintf(fifo, sizeof fifo, "/tmp/cs%05d", static_cast<int>(getpid() % 100000));
  ASSERT_EQ(std::string(fifo).size(), old_path.size());
  auto it = std::search(core.begin(), core.end(), old_path.begin(), old_path.end());
  ASSERT_NE(it, core.end());
  while (it != core.end()) {
    std::copy(fifo, fifo + old_path.size(), it);
    it = std::search(it, core.end(), old_path.begin(), old_path.end());
  }
  ::unlink(fifo);
  ASSERT_EQ(::mkfifo(fifo, 0600), 0);
  // A hang cannot be interrupted: detach the run and fail loudly instead.
  auto done = std::make_shared<std::promise<void>>();
  auto ready = done->get_future();
  std::thread([core = std::move(core), done] {
    fuzz_core_file(core.data(), core.size());
    done->set_value();
  }).detach();
  bool finished = ready.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  ::unlink(fifo);
  if (!finished) {
    std::fprintf(stderr, "CoreFile::open blocked on a FIFO named by the core\n");
    std::abort();
  }
}

}  // namespace

namespace {

// Issue 20: hostile input is parsed inside the analysis sandbox. Every corpus
// file runs through every entry point in a child that entered it first; the
// child also checks that the filter is on and that execve is refused.
TEST(FuzzReplaySandboxed, EveryCorpusInsideTheSandbox) {
  namespace fs = std::filesystem;
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (!corostack::enter_analysis_sandbox()) _exit(10);
    std::ifstream status("/proc/self/status");
    std::string line;
    bool filtered = false;
    while (std::getline(status, line))
      if (line.rfind("Seccomp:", 0) == 0) filtered = line.find('2') != std::string::npos;
    if (!filtered) _exit(11);
    char* const argv[] = {const_cast<char*>("/bin/true"), nullptr};
    if (::execve("/bin/true", argv, environ) == 0 || errno != EPERM) _exit(12);
    for (const Target& t : kTargets) {
      fs::path dir = fs::path(COROSTACK_FUZZ_CORPUS) / t.name;
      for (const auto& e : fs::directory_iterator(dir)) {
        if (!e.is_regular_file()) continue;
        std::vector<uint8_t> bytes = read_file(e.path());
        if (t.entry(bytes.data(), bytes.size()) != 0) _exit(13);
      }
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "the sandboxed replay died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: no sandbox, 11: Seccomp is not 2, 12: execve was "
                                       "not refused, 13: an entry point failed";
}

}  // namespace
