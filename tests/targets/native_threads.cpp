// Test target: named threads blocked in known native call chains.
//
//   native_threads <ready_fd> <truth_path> [--threads N] [--depth D] [--crash]
//
// Writes the truth (tids, names, our functions innermost first) to truth_path,
// then "ready\n" to ready_fd, then blocks forever -- or, with --crash, dies
// from a null dereference in crash_here() so the kernel writes a core.
// Functions are global, with simple signatures, so their demangled names are
// the plain names listed in the truth plus an argument list.
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "frame_macros.hpp"
#include "target_common.hpp"

using target_common::about_to_block;

namespace {

int g_idle_pipe[2];   // nobody ever writes: read() on [0] blocks forever
int g_epoll_fd = -1;  // watches the idle pipe: epoll_wait() blocks forever
pthread_mutex_t g_held = PTHREAD_MUTEX_INITIALIZER;  // locker holds it, waiter wants it
std::atomic<bool> g_stop{false};  // never set; keeps the loops from looking infinite

// Blocks in read() on the idle pipe; a loop because a stop may restart it.
long read_idle() {
  long total = 0;
  char byte;
  while (!g_stop.load()) total += read(g_idle_pipe[0], &byte, 1);
  return total;
}

void name_self(const std::string& name) {
  pthread_setname_np(pthread_self(), name.c_str());
}

}  // namespace

TARGET_FRAME long reader_level1(int fd) {
  about_to_block(
      {gettid(), {"reader_level1", "reader_level2", "reader_level3", "reader_thread"}, {SYS_read}});
  long total = 0;
  char byte;
  while (!g_stop.load()) total += read(fd, &byte, 1);
  AFTER_CALL();
  return total;
}

TARGET_FRAME long reader_level2(int fd) {
  long r = reader_level1(fd);
  AFTER_CALL();
  return r + 1;
}

TARGET_FRAME long reader_level3(int fd) {
  long r = reader_level2(fd);
  AFTER_CALL();
  return r + 1;
}

TARGET_FRAME void* reader_thread(void*) {
  name_self("reader");
  long r = reader_level3(g_idle_pipe[0]);
  AFTER_CALL();
  return reinterpret_cast<void*>(r);
}

TARGET_FRAME int sleeper_level1() {
  about_to_block({gettid(),
                  {"sleeper_level1", "sleeper_level2", "sleeper_thread"},
                  {SYS_clock_nanosleep, SYS_nanosleep}});
  int rounds = 0;
  while (!g_stop.load()) {
    timespec hour{3600, 0};
    rounds += nanosleep(&hour, nullptr);
  }
  AFTER_CALL();
  return rounds;
}

TARGET_FRAME int sleeper_level2() {
  int r = sleeper_level1();
  AFTER_CALL();
  return r + 1;
}

TARGET_FRAME void* sleeper_thread(void*) {
  name_self("sleeper");
  int r = sleeper_level2();
  AFTER_CALL();
  return reinterpret_cast<void*>(static_cast<long>(r));
}

TARGET_FRAME long locker_level1() {
  pthread_mutex_lock(&g_held);  // held forever: the waiter blocks on it
  about_to_block({gettid(), {"locker_level1", "locker_thread"}, {SYS_read}});
  long r = read_idle();
  AFTER_CALL();
  pthread_mutex_unlock(&g_held);
  return r;
}

TARGET_FRAME void* locker_thread(void*) {
  name_self("locker");
  long r = locker_level1();
  AFTER_CALL();
  return reinterpret_cast<void*>(r);
}

TARGET_FRAME int waiter_level1() {
  about_to_block({gettid(), {"waiter_level1", "waiter_level2", "waiter_thread"}, {SYS_futex}});
  int r = pthread_mutex_lock(&g_held);
  AFTER_CALL();
  pthread_mutex_unlock(&g_held);
  return r;
}

TARGET_FRAME int waiter_level2() {
  int r = waiter_level1();
  AFTER_CALL();
  return r + 1;
}

TARGET_FRAME void* waiter_thread(void*) {
  name_self("waiter");
  int r = waiter_level2();
  AFTER_CALL();
  return reinterpret_cast<void*>(static_cast<long>(r));
}

TARGET_FRAME int poller_level1(int epoll_fd) {
  about_to_block({gettid(),
                  {"poller_level1", "poller_level2", "poller_thread"},
                  {SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_pwait2}});
  int events = 0;
  while (!g_stop.load()) {
    epoll_event ev;
    events += epoll_wait(epoll_fd, &ev, 1, -1);
  }
  AFTER_CALL();
  return events;
}

TARGET_FRAME int poller_level2(int epoll_fd) {
  int r = poller_level1(epoll_fd);
  AFTER_CALL();
  return r + 1;
}

TARGET_FRAME void* poller_thread(void*) {
  name_self("poller");
  int r = poller_level2(g_epoll_fd);
  AFTER_CALL();
  return reinterpret_cast<void*>(static_cast<long>(r));
}

// inliner: inliner_thread -> inliner_outer -> [inlined] inliner_mid ->
// [inlined] inliner_leaf -> read(). always_inline holds at -O0 too, so both
// builds have two inlined frames whose names come only from DWARF.
__attribute__((always_inline)) inline long inliner_leaf() {
  about_to_block(
      {gettid(), {"inliner_leaf", "inliner_mid", "inliner_outer", "inliner_thread"}, {SYS_read}});
  return read_idle();
}

__attribute__((always_inline)) inline long inliner_mid() {
  return inliner_leaf() + 1;
}

TARGET_FRAME long inliner_outer() {
  long r = inliner_mid();
  AFTER_CALL();
  return r + 1;
}

TARGET_FRAME void* inliner_thread(void*) {
  name_self("inliner");
  long r = inliner_outer();
  AFTER_CALL();
  return reinterpret_cast<void*>(r);
}

// deep-K threads: deep_thread -> deep_recurse x depth -> deep_bottom -> read().
struct DeepArgs {
  int index = 0;
  int depth = 1;
};

TARGET_FRAME long deep_bottom(const DeepArgs* args) {
  std::vector<std::string> chain{"deep_bottom"};
  for (int i = 0; i < args->depth; ++i) chain.push_back("deep_recurse");
  chain.push_back("deep_thread");
  about_to_block({gettid(), chain, {SYS_read}});
  long r = read_idle();
  AFTER_CALL();
  return r;
}

TARGET_FRAME long deep_recurse(int n, const DeepArgs* args) {
  long r = n <= 1 ? deep_bottom(args) : deep_recurse(n - 1, args);
  AFTER_CALL();
  return r + 1;
}

TARGET_FRAME void* deep_thread(void* arg) {
  auto* args = static_cast<DeepArgs*>(arg);
  name_self("deep-" + std::to_string(args->index));
  long r = deep_recurse(args->depth, args);
  AFTER_CALL();
  return reinterpret_cast<void*>(r);
}

TARGET_FRAME int crash_here() {
  int* volatile null = nullptr;  // volatile: the compiler cannot prove it null and trap instead
  *null = 42;
  AFTER_CALL();
  return *null;
}

TARGET_FRAME int main_wait(int ready_fd, bool crash) {
  // Ready is signalled here, as late as possible; the harness still waits for
  // this thread to sleep before it trusts the state.
  target_common::signal_ready(ready_fd);
  int r = crash ? crash_here() : static_cast<int>(read_idle());
  AFTER_CALL();
  return r;
}

namespace {

struct Options {
  int ready_fd = -1;
  std::string truth_path;
  int threads = 2;
  int depth = 8;
  bool crash = false;
};

Options parse_options(int argc, char** argv) {
  if (argc < 3)
    target_common::die(
        "usage: native_threads <ready_fd> <truth_path> [--threads N] [--depth D] [--crash]");
  Options opt;
  opt.ready_fd = std::atoi(argv[1]);
  opt.truth_path = argv[2];
  for (int i = 3; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc) {
      opt.threads = std::atoi(argv[++i]);
    } else if (arg == "--depth" && i + 1 < argc) {
      opt.depth = std::atoi(argv[++i]);
    } else if (arg == "--crash") {
      opt.crash = true;
    } else {
      target_common::die("unknown argument: " + arg);
    }
  }
  if (opt.threads < 0 || opt.depth < 1) target_common::die("need --threads >= 0, --depth >= 1");
  return opt;
}

// Starts one thread and waits until it is about to block, so that threads
// start in order (the locker must hold the mutex before the waiter runs).
void start(void* (*fn)(void*), void* arg, size_t started_before) {
  pthread_t t;
  if (pthread_create(&t, nullptr, fn, arg) != 0) target_common::die("pthread_create failed");
  pthread_detach(t);
  target_common::wait_for_threads(started_before + 1);
}

}  // namespace

int main(int argc, char** argv) {
  Options opt = parse_options(argc, argv);
  if (pipe(g_idle_pipe) != 0) target_common::die("pipe failed");
  g_epoll_fd = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  if (g_epoll_fd < 0 || epoll_ctl(g_epoll_fd, EPOLL_CTL_ADD, g_idle_pipe[0], &ev) != 0)
    target_common::die("epoll setup failed");

  size_t n = 0;
  for (auto* fn :
       {reader_thread, sleeper_thread, locker_thread, waiter_thread, poller_thread, inliner_thread})
    start(fn, nullptr, n++);
  std::vector<DeepArgs> deep(opt.threads);
  for (int i = 0; i < opt.threads; ++i) {
    deep[i] = {i, opt.depth};
    start(deep_thread, &deep[i], n++);
  }

  std::vector<target_common::ThreadTruth> threads = target_common::wait_for_threads(n);
  target_common::wait_until_blocked(threads);
  std::vector<std::string> main_chain{"main_wait", "main"};
  if (opt.crash) main_chain.insert(main_chain.begin(), "crash_here");
  threads.insert(threads.begin(), {gettid(), main_chain, {}});
  target_common::write_truth(opt.truth_path, threads);

  int r = main_wait(opt.ready_fd, opt.crash);
  AFTER_CALL();
  return r == 12345 ? 1 : 0;
}
