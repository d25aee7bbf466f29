// Test target: many threads blocked in read() or in a futex, for tests that
// need a large process (e.g. that every thread is resumed after a dump).
//
//   many_threads <ready_fd> <truth_path> [--threads N] [--main-exits]
//
// N defaults to 100. With --main-exits the main thread calls pthread_exit
// right after signalling ready: the process lives on with a zombie leader.
//
// Same ready/truth protocol as native_threads. Even threads block in read()
// on a pipe nobody writes, odd ones in pthread_cond_wait() on a condition
// nobody signals.
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <vector>

#include "frame_macros.hpp"
#include "target_common.hpp"

namespace {

int g_idle_pipe[2];  // nobody ever writes
pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_never = PTHREAD_COND_INITIALIZER;  // nobody ever signals
std::atomic<bool> g_stop{false};                    // never set

}  // namespace

TARGET_FRAME long many_read_block() {
  target_common::about_to_block({gettid(), {"many_read_block", "many_thread"}, {SYS_read}});
  long total = 0;
  char byte;
  while (!g_stop.load()) total += read(g_idle_pipe[0], &byte, 1);
  AFTER_CALL();
  return total;
}

TARGET_FRAME long many_futex_block() {
  target_common::about_to_block({gettid(), {"many_futex_block", "many_thread"}, {SYS_futex}});
  long rounds = 0;
  pthread_mutex_lock(&g_mutex);
  while (!g_stop.load()) rounds += pthread_cond_wait(&g_never, &g_mutex);
  pthread_mutex_unlock(&g_mutex);
  AFTER_CALL();
  return rounds;
}

TARGET_FRAME void* many_thread(void* arg) {
  long index = reinterpret_cast<long>(arg);
  pthread_setname_np(pthread_self(), ("many-" + std::to_string(index)).c_str());
  long r = index % 2 == 0 ? many_read_block() : many_futex_block();
  AFTER_CALL();
  return reinterpret_cast<void*>(r);
}

TARGET_FRAME int main_wait(int ready_fd) {
  target_common::signal_ready(ready_fd);
  long total = 0;
  char byte;
  while (!g_stop.load()) total += read(g_idle_pipe[0], &byte, 1);
  AFTER_CALL();
  return static_cast<int>(total);
}

int main(int argc, char** argv) {
  bool main_exits = argc > 3 && std::string(argv[argc - 1]) == "--main-exits";
  if (main_exits) --argc;
  if (argc != 3 && !(argc == 5 && std::string(argv[3]) == "--threads"))
    target_common::die("usage: many_threads <ready_fd> <truth_path> [--threads N] [--main-exits]");
  int ready_fd = std::atoi(argv[1]);
  std::string truth_path = argv[2];
  long count = argc == 5 ? std::atol(argv[4]) : 100;
  if (pipe(g_idle_pipe) != 0) target_common::die("pipe failed");

  for (long i = 0; i < count; ++i) {
    pthread_t t;
    if (pthread_create(&t, nullptr, many_thread, reinterpret_cast<void*>(i)) != 0)
      target_common::die("pthread_create failed");
    pthread_detach(t);
  }
  std::vector<target_common::ThreadTruth> threads =
      target_common::wait_for_threads(static_cast<size_t>(count));
  target_common::wait_until_blocked(threads);
  threads.insert(threads.begin(), {gettid(), {"main_wait", "main"}, {}});
  target_common::write_truth(truth_path, threads);

  if (main_exits) {
    target_common::signal_ready(ready_fd);
    pthread_exit(nullptr);
  }
  int r = main_wait(ready_fd);
  AFTER_CALL();
  return r == 12345 ? 1 : 0;
}
