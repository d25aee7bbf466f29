// Benchmark target for bench/coro_bench.py: many live C++20 coroutine frames
// in a process with about 1 GiB of writable, resident memory.
//
//   coro_bench_target <ready_fd> [--frames N] [--mib M]
//
// Creates N suspended coroutine frames (default 100 000): N/2 chains
// parent(i) -> child(i), each child parked at a co_await in g_parked, each
// parent suspended awaiting its child (the child's promise holds the parent's
// handle as its `continuation`); an odd N adds one child that never started.
// Then it allocates and touches filler memory until the sum of its writable
// mappings (/proc/self/maps, the frames and everything else included) is about
// M MiB (default 1024). The filler is pseudo-random words with the top bit set:
// never a user-space address, so never a destroy/cleanup pointer.
//
// Then it prints what it built on stderr, writes "ready\n" to ready_fd and
// blocks in read(2) forever. Standard library only (<coroutine>).
#include <unistd.h>

#include <algorithm>
#include <coroutine>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "target_common.hpp"

namespace {

long g_live_frames = 0;  // promises constructed and not destroyed
std::vector<std::coroutine_handle<>> g_parked;

// A lazy task: starts suspended; co_await makes the awaiting coroutine the
// child's continuation and transfers to the child; at the end it transfers
// back to the continuation (frames are kept until the task is dropped).
class task {
 public:
  struct promise_type {
    std::coroutine_handle<> continuation;
    int id;

    explicit promise_type(int i) : id(i) { ++g_live_frames; }
    ~promise_type() { --g_live_frames; }
    task get_return_object() {
      return task(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    struct FinalAwaiter {
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        std::coroutine_handle<> next = h.promise().continuation;
        return next ? next : std::noop_coroutine();
      }
      void await_resume() const noexcept {}
    };
    FinalAwaiter final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    void unhandled_exception() const noexcept { std::terminate(); }
  };

  explicit task(std::coroutine_handle<promise_type> h) : h_(h) {}
  task(task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  task& operator=(task&&) = delete;
  ~task() {
    if (h_) h_.destroy();
  }
  std::coroutine_handle<promise_type> handle() const { return h_; }

  bool await_ready() const noexcept { return !h_ || h_.done(); }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
    h_.promise().continuation = awaiting;
    return h_;
  }
  void await_resume() const noexcept {}

 private:
  std::coroutine_handle<promise_type> h_;
};

struct Park {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { g_parked.push_back(h); }
  void await_resume() const noexcept {}
};

volatile int g_sink = 0;  // keeps the locals live across the suspension

task child(int id) {
  int local = id * 3;
  co_await Park{};
  g_sink = g_sink + local;
}

task parent(int id) {
  co_await child(id);
  g_sink = g_sink + id;
}

std::vector<task> g_tasks;  // parents (started) and the lone child (not started)
std::vector<std::vector<uint64_t>> g_filler;

// Sum of the sizes of this process's writable mappings.
uint64_t writable_bytes() {
  std::ifstream maps("/proc/self/maps");
  uint64_t total = 0;
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms;
    in >> range >> perms;
    size_t dash = range.find('-');
    if (dash == std::string::npos || perms.size() < 2 || perms[1] != 'w') continue;
    total += std::stoull(range.substr(dash + 1), nullptr, 16) -
             std::stoull(range.substr(0, dash), nullptr, 16);
  }
  return total;
}

uint64_t vm_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}

long parse_count(const char* flag, const char* value) {
  char* end = nullptr;
  long n = value ? std::strtol(value, &end, 10) : -1;
  if (!value || *end != '\0' || n < 0) target_common::die(std::string("bad ") + flag);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) target_common::die("usage: coro_bench_target <ready_fd> [--frames N] [--mib M]");
  int ready_fd = static_cast<int>(parse_count("ready_fd", argv[1]));
  long frames = 100000;
  long mib = 1024;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (arg == "--frames")
      frames = parse_count("--frames", value);
    else if (arg == "--mib")
      mib = parse_count("--mib", value);
    else
      target_common::die("unknown argument " + arg);
    ++i;
  }

  long chains = frames / 2;
  g_parked.reserve(chains);
  g_tasks.reserve(chains + 1);
  for (long i = 0; i < chains; ++i) {
    g_tasks.push_back(parent(static_cast<int>(i)));
    g_tasks.back().handle().resume();  // runs parent, then child, until the child parks
  }
  if (frames % 2) g_tasks.push_back(child(-1));
  if (g_live_frames != frames || static_cast<long>(g_parked.size()) != chains)
    target_common::die("built " + std::to_string(g_live_frames) + " frames, " +
                       std::to_string(g_parked.size()) + " parked; wanted " +
                       std::to_string(frames));
  uint64_t frame_writable = writable_bytes();

  // Filler in 64 MiB blocks (each its own mmap), the last one trimmed.
  const uint64_t target = static_cast<uint64_t>(mib) << 20;
  const uint64_t block = 64ull << 20;
  uint64_t state = 0x9e3779b97f4a7c15ull;
  for (uint64_t have = writable_bytes(); have + 2 * 4096 < target; have = writable_bytes()) {
    uint64_t bytes = std::min(block, target - have - 4096);  // a mapping costs a page more
    std::vector<uint64_t> words(bytes / sizeof(uint64_t));
    for (uint64_t& w : words) {  // xorshift64
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      w = state | (1ull << 63);
    }
    g_filler.push_back(std::move(words));
  }

  uint64_t total = writable_bytes();
  std::fprintf(stderr,
               "coro_bench_target: %ld frames live (%ld chains parent->child, %zu parked), "
               "writable %.1f MiB (%.1f MiB before filler), VmRSS %.1f MiB\n",
               g_live_frames, chains, g_parked.size(), total / 1048576.0,
               frame_writable / 1048576.0, vm_rss_kib() / 1024.0);
  std::fflush(stderr);

  int idle[2];  // nobody writes to idle[1]: read() blocks forever
  if (pipe(idle) != 0) target_common::die("pipe");
  target_common::signal_ready(ready_fd);
  char c;
  while (read(idle[0], &c, 1) != 0) {
  }
  return 0;
}
