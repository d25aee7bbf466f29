// Test target for the churn soak (tests/e2e/churn_test.cpp): never in a
// stable state. As fast as it can, it
//   - creates and ends threads: a spawner thread starts a thread, which runs
//     a few coroutine chains and exits, joins it, and starts the next;
//   - allocates and frees C++20 coroutine frames: each worker builds a chain
//     churn_outer -> churn_middle -> churn_leaf (continuations in the
//     promises, like tests/targets/coro/coro_task.hpp), runs it until the leaf
//     suspends, resumes it to completion and destroys the frames;
// while four chains stay parked forever (something stable to find).
//
//   churn <ready_fd> [--workers N]     (N defaults to 1)
//
// Writes "ready\n" to ready_fd once every thread runs; there is no truth file.
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <coroutine>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "frame_macros.hpp"
#include "target_common.hpp"

namespace {

struct task {
  struct promise_type {
    std::coroutine_handle<> continuation;  // who awaits this one; null: nobody
    long value = 0;
    task get_return_object() {
      return task{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    struct final_awaiter {
      bool await_ready() noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        auto c = h.promise().continuation;
        return c ? c : std::noop_coroutine();
      }
      void await_resume() noexcept {}
    };
    final_awaiter final_suspend() noexcept { return {}; }
    void return_value(long v) { value = v; }
    void unhandled_exception() { std::terminate(); }
  };

  explicit task(std::coroutine_handle<promise_type> h) : handle(h) {}
  task(task&& o) noexcept : handle(std::exchange(o.handle, {})) {}
  task& operator=(task&&) = delete;
  ~task() {
    if (handle) handle.destroy();
  }
  bool await_ready() { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> c) {
    handle.promise().continuation = c;
    return handle;
  }
  long await_resume() { return handle.promise().value; }

  std::coroutine_handle<promise_type> handle;
};

thread_local std::coroutine_handle<> t_parked;  // the leaf this thread suspended last

struct park {
  bool await_ready() { return false; }
  void await_suspend(std::coroutine_handle<> h) { t_parked = h; }
  void await_resume() {}
};

task churn_leaf(long i) {
  co_await park{};
  co_return i;
}

task churn_middle(long i) {
  long v = co_await churn_leaf(i + 1);
  co_return v + 1;
}

task churn_outer(long i) {
  long v = co_await churn_middle(i + 1);
  co_return v + 1;
}

std::atomic<long> g_sink{0};
std::atomic<int> g_started{0};

// One chain: three frames allocated, suspended, resumed, freed.
TARGET_FRAME void run_chain(long i) {
  task t = churn_outer(i);
  t.handle.resume();  // runs until churn_leaf parks
  std::exchange(t_parked, {}).resume();
  g_sink += t.handle.promise().value;
  AFTER_CALL();
}

TARGET_FRAME void worker_loop() {
  g_started++;
  for (long i = 0;; ++i) run_chain(i);
}

TARGET_FRAME void short_lived_thread(long n) {
  pthread_setname_np(pthread_self(), "churn-short");
  for (long i = 0; i < 16; ++i) run_chain(n + i);
  AFTER_CALL();
}

TARGET_FRAME void spawner_loop() {
  g_started++;
  for (long n = 0;; ++n) std::thread(short_lived_thread, n).join();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && !(argc == 4 && std::string(argv[2]) == "--workers"))
    target_common::die("usage: churn <ready_fd> [--workers N]");
  int ready_fd = std::atoi(argv[1]);
  int workers = argc == 4 ? std::atoi(argv[3]) : 1;

  // Four chains parked for good: frames that stay while the others churn.
  std::vector<task> parked;
  for (long i = 0; i < 4; ++i) {
    parked.push_back(churn_outer(1000 * i));
    parked.back().handle.resume();
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < workers; ++i) threads.emplace_back(worker_loop);
  threads.emplace_back(spawner_loop);
  while (g_started.load() < workers + 1) std::this_thread::yield();
  target_common::signal_ready(ready_fd);
  for (std::thread& t : threads) t.join();  // never
  return 0;
}
