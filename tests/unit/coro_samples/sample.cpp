// Coroutine sample for coro_table_test: built by coro_samples.cmake with each
// available compiler at -O0 and -O2. The test finds the expected suspend lines
// through the "SUSPEND <function> <n>" markers, so keep one marker per line.
#include <coroutine>
#include <cstdio>
#include <exception>
#include <utility>

std::coroutine_handle<> g_parked[8];
int g_nparked = 0;

// Parks the awaiting coroutine so main can resume it later.
struct park {
  bool await_ready() noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept { g_parked[g_nparked++ % 8] = h; }
  void await_resume() noexcept {}
};

// The continuation sits in a base class, as in most task libraries, and not
// first, so that a reader that assumes offset 0 is caught.
struct promise_base {
  void* tag = nullptr;
  std::coroutine_handle<> continuation;
};

struct final_awaiter {
  bool await_ready() noexcept { return false; }
  template <typename P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
    auto c = h.promise().continuation;
    return c ? c : std::noop_coroutine();
  }
  void await_resume() noexcept {}
};

struct task {
  struct promise_type : promise_base {
    int value = 0;
    task get_return_object() {
      return task{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    final_awaiter final_suspend() noexcept { return {}; }
    void return_value(int v) { value = v; }
    void unhandled_exception() { std::terminate(); }
  };
  std::coroutine_handle<promise_type> h;
  // Owning, so clang -O2 can elide the lambda's frame into main (HALO): then
  // only its .cleanup clone exists, no .destroy.
  explicit task(std::coroutine_handle<promise_type> handle) : h(handle) {}
  task(task&& other) noexcept : h(std::exchange(other.h, {})) {}
  ~task() {
    if (h) h.destroy();
  }
  bool await_ready() noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> c) noexcept {
    h.promise().continuation = c;
    return h;
  }
  int await_resume() noexcept { return h.promise().value; }
};

// Over-aligned promise: the promise lives at frame+0x40, not frame+0x10.
struct atask {
  struct alignas(64) promise_type {
    std::coroutine_handle<> continuation;
    long payload = 0;
    atask get_return_object() {
      return atask{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    final_awaiter final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
  std::coroutine_handle<promise_type> h;
};

// A generator: no continuation member, a leaf type for chain walking.
struct generator {
  struct promise_type {
    int current = 0;
    generator get_return_object() {
      return generator{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    std::suspend_always yield_value(int v) noexcept {
      current = v;
      return {};
    }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
  std::coroutine_handle<promise_type> h;
};

task leaf(int id) {
  int local = id * 2;
  co_await park{};  // SUSPEND leaf 1
  local += id;
  co_await park{};  // SUSPEND leaf 2
  co_return local;
}

task middle(int id) {
  int r = co_await leaf(id);     // SUSPEND middle 1
  r += co_await leaf(id + 100);  // SUSPEND middle 2
  co_return r + 1;
}

generator counter(int n) {
  for (int i = 0; i < n; ++i) {
    co_yield i;  // SUSPEND counter 1
  }
}

atask aligned_coro(long v) {
  co_await park{};  // SUSPEND aligned_coro 1
  std::printf("%ld\n", v);
}

// A member-function coroutine: its clones' DIEs refer to the in-class
// declaration through DW_AT_specification.
struct worker {
  int base = 0;
  task run(int id);
};

task worker::run(int id) {
  co_await park{};  // SUSPEND run 1
  co_return base + id;
}

int main(int argc, char**) {
  auto lambda = [](int x) -> task {  // DECL lambda
    co_await park{};                 // SUSPEND lambda 1
    co_return x;
  };
  worker w;
  task l = lambda(argc);
  task r = w.run(argc);
  l.h.resume();
  r.h.resume();
  task t = middle(argc);
  generator g = counter(argc + 3);
  atask a = aligned_coro(argc);
  t.h.resume();
  g.h.resume();
  a.h.resume();
  for (int i = 0; i < g_nparked; ++i) std::printf("%p\n", g_parked[i].address());
  std::printf("%d %d\n", t.h.promise().value, g.h.promise().current);
  return 0;
}
