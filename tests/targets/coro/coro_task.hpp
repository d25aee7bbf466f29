#pragma once
// Coroutine types for the coro_chain test target, standard library only.
//
//   task       lazy; promise_type has `continuation` (the awaiting coroutine,
//              null when none), `id` and `label`; final_suspend transfers to
//              the continuation (or std::noop_coroutine()) and keeps the frame.
//   atask      the same with `struct alignas(64) promise_type`.
//   generator  co_yield int; its promise has no continuation.
//   park()     suspends the awaiting coroutine into g_parked (a queue).
//
// Book-keeping for the truth file lives outside the frames, in a table keyed
// by frame address (FrameRecord): the promise constructor registers the frame,
// every suspension records its line (a source location captured as the
// default argument of await_transform / yield_value, i.e. at the co_await or
// co_yield), and every resumption made by these types goes through
// note_resumed(), so each thread knows which coroutine it runs.
#include <sys/types.h>
#include <unistd.h>

#include <coroutine>
#include <cstddef>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <version>

#if defined(__cpp_lib_source_location)
#include <source_location>
#endif

namespace coro_target {

#if defined(__cpp_lib_source_location)
using SourceLoc = std::source_location;
#else
// libstdc++ 12 has no std::source_location under clang 14 (no
// __builtin_source_location); the builtins behave the same as default arguments.
struct SourceLoc {
  static constexpr SourceLoc current(unsigned line = __builtin_LINE(),
                                     const char* file = __builtin_FILE()) {
    SourceLoc loc;
    loc.line_ = line;
    loc.file_ = file;
    return loc;
  }
  constexpr unsigned line() const { return line_; }
  constexpr const char* file_name() const { return file_; }
  unsigned line_ = 0;
  const char* file_ = "";
};
#endif

// One coroutine function, declared on the line after its CoroFn: the truth's
// stable function name, the first part of its promises' labels, and where.
struct CoroFn {
  const char* name;
  const char* label;
  SourceLoc where;
  constexpr int decl_line() const { return static_cast<int>(where.line()) + 1; }
};

// What the truth says about one frame.
struct FrameRecord {
  void* frame = nullptr;
  const void* promise = nullptr;
  const char* promise_type = "";
  std::size_t promise_align = 0;
  std::size_t promise_size = 0;
  const std::coroutine_handle<>* continuation = nullptr;  // null: the promise has none
  int* id = nullptr;
  std::string* label = nullptr;
  const CoroFn* fn = nullptr;  // null until described
  const char* state = "not_started";
  int line = 0;
  std::string file;
  pid_t tid = 0;  // thread running it (state running)
};

inline std::mutex g_frames_mutex;
inline std::map<void*, FrameRecord> g_frames;
inline thread_local void* g_current = nullptr;  // the coroutine this thread runs
inline std::deque<std::coroutine_handle<>> g_parked;

inline int first_int() {
  return -1;
}
template <typename A, typename... Rest>
int first_int(A& a, Rest&... rest) {
  if constexpr (std::is_same_v<std::remove_cv_t<A>, int>)
    return a;
  else
    return first_int(rest...);
}

template <typename Promise>
void register_promise(Promise* p, const char* type_name, const std::coroutine_handle<>* cont) {
  FrameRecord r;
  r.frame = std::coroutine_handle<Promise>::from_promise(*p).address();
  r.promise = p;
  r.promise_type = type_name;
  r.promise_align = alignof(Promise);
  r.promise_size = sizeof(Promise);
  r.continuation = cont;
  r.id = &p->id;
  r.label = &p->label;
  std::lock_guard lock(g_frames_mutex);
  g_frames[r.frame] = r;
}

template <typename Promise>
void unregister_promise(Promise* p) {
  std::lock_guard lock(g_frames_mutex);
  g_frames.erase(std::coroutine_handle<Promise>::from_promise(*p).address());
}

inline FrameRecord& record(void* frame) {
  auto it = g_frames.find(frame);
  if (it == g_frames.end()) std::terminate();
  return it->second;
}

// Names a frame: its function, and its promise's label "<fn.label> #<id>".
inline void describe(void* frame, const CoroFn& fn) {
  std::lock_guard lock(g_frames_mutex);
  FrameRecord& r = record(frame);
  r.fn = &fn;
  *r.label = std::string(fn.label) + " #" + std::to_string(*r.id);
  if (std::string(r.state) == "not_started") {
    r.line = fn.decl_line();
    r.file = fn.where.file_name();
  }
}

// First statement of every coroutine body: describes the running frame.
inline void enter(const CoroFn& fn) {
  describe(g_current, fn);
}

// h is about to run on this thread (not ours, e.g. the noop coroutine: no record).
inline void note_resumed(std::coroutine_handle<> h) {
  g_current = h.address();
  std::lock_guard lock(g_frames_mutex);
  auto it = g_frames.find(h.address());
  if (it == g_frames.end()) return;
  it->second.state = "running";
  it->second.tid = gettid();
}

inline void note_suspended(std::coroutine_handle<> h, const SourceLoc& loc) {
  std::lock_guard lock(g_frames_mutex);
  FrameRecord& r = record(h.address());
  r.state = "suspended";
  r.line = static_cast<int>(loc.line());
  r.file = loc.file_name();
  r.tid = 0;
}

// Records, for the running coroutine, the line after the call: where its
// blocking call is (running), or its co_return (then done).
inline void note_next_line(SourceLoc loc = SourceLoc::current()) {
  std::lock_guard lock(g_frames_mutex);
  FrameRecord& r = record(g_current);
  r.line = static_cast<int>(loc.line()) + 1;
  r.file = loc.file_name();
}

inline void note_done(std::coroutine_handle<> h) {
  std::lock_guard lock(g_frames_mutex);
  FrameRecord& r = record(h.address());
  r.state = "done";
  r.tid = 0;
}

// Resumes h from a plain function and returns when it suspends.
inline void resume_from_outside(std::coroutine_handle<> h) {
  void* saved = g_current;
  note_resumed(h);
  h.resume();
  g_current = saved;
}

// Suspends the awaiting coroutine into g_parked.
struct Park {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { g_parked.push_back(h); }
  void await_resume() const noexcept {}
};
inline Park park() {
  return {};
}

// Resumes the most recently parked coroutine once (it parks again or ends).
inline void advance_last_parked() {
  std::coroutine_handle<> h = g_parked.back();
  g_parked.pop_back();
  resume_from_outside(h);
}

// Records the suspension at loc, then delegates to the awaiter.
template <typename Awaiter>
struct Tracked {
  Awaiter inner;
  SourceLoc loc;
  bool await_ready() { return inner.await_ready(); }
  template <typename Promise>
  auto await_suspend(std::coroutine_handle<Promise> h) {
    note_suspended(h, loc);
    return inner.await_suspend(h);
  }
  decltype(auto) await_resume() { return inner.await_resume(); }
};

// co_await on a task: becomes the child's continuation and transfers to it.
template <typename ChildPromise>
struct TaskAwaiter {
  std::coroutine_handle<ChildPromise> child;
  bool await_ready() const noexcept { return !child || child.done(); }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) {
    child.promise().continuation = awaiting;
    note_resumed(child);
    return child;
  }
  void await_resume() const noexcept {}
};

// Ends the frame's run (kept, not destroyed) and transfers to the awaiting
// coroutine, or to the noop coroutine when there is none.
struct FinalAwaiter {
  bool await_ready() const noexcept { return false; }
  template <typename Promise>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> h) noexcept {
    note_done(h);
    std::coroutine_handle<> next = h.promise().continuation;
    if (!next) {
      g_current = nullptr;
      return std::noop_coroutine();
    }
    note_resumed(next);
    return next;
  }
  void await_resume() const noexcept {}
};

// What task and atask share; the data members are in each promise_type.
template <typename Task>
struct TaskPromiseOps {
  std::suspend_always initial_suspend() const noexcept { return {}; }
  FinalAwaiter final_suspend() const noexcept { return {}; }
  void return_void() const noexcept {}
  void unhandled_exception() const noexcept { std::terminate(); }

  template <typename Child>
  auto await_transform(Child&& child, SourceLoc loc = SourceLoc::current()) {
    using C = std::remove_cvref_t<Child>;
    if constexpr (requires { child.handle(); })
      return Tracked<TaskAwaiter<typename C::promise_type>>{{child.handle()}, loc};
    else
      return Tracked<C>{std::forward<Child>(child), loc};
  }
};

// Owns a frame; destroys it when dropped.
template <typename Promise>
class FrameOwner {
 public:
  using promise_type = Promise;
  explicit FrameOwner(std::coroutine_handle<Promise> h) : h_(h) {}
  FrameOwner(FrameOwner&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  FrameOwner& operator=(FrameOwner&&) = delete;
  ~FrameOwner() {
    if (h_) h_.destroy();
  }
  std::coroutine_handle<Promise> handle() const { return h_; }

 private:
  std::coroutine_handle<Promise> h_;
};

class task {
 public:
  struct promise_type : TaskPromiseOps<task> {
    std::coroutine_handle<> continuation;
    int id = -1;
    std::string label;

    template <typename... Args>
    explicit promise_type(Args&... args) : id(first_int(args...)) {
      register_promise(this, "task::promise_type", &continuation);
    }
    ~promise_type() { unregister_promise(this); }
    task get_return_object() {
      return task(std::coroutine_handle<promise_type>::from_promise(*this));
    }
  };

  explicit task(std::coroutine_handle<promise_type> h) : owner_(h) {}
  std::coroutine_handle<promise_type> handle() const { return owner_.handle(); }

 private:
  FrameOwner<promise_type> owner_;
};

class atask {
 public:
  struct alignas(64) promise_type : TaskPromiseOps<atask> {
    std::coroutine_handle<> continuation;
    int id = -1;
    std::string label;

    template <typename... Args>
    explicit promise_type(Args&... args) : id(first_int(args...)) {
      register_promise(this, "atask::promise_type", &continuation);
    }
    ~promise_type() { unregister_promise(this); }
    atask get_return_object() {
      return atask(std::coroutine_handle<promise_type>::from_promise(*this));
    }
  };

  explicit atask(std::coroutine_handle<promise_type> h) : owner_(h) {}
  std::coroutine_handle<promise_type> handle() const { return owner_.handle(); }

 private:
  FrameOwner<promise_type> owner_;
};

// Starts a task from a plain function; it runs until its first suspension.
// cont, when given, becomes the outermost frame's continuation.
template <typename Task>
void start(const Task& t, std::coroutine_handle<> cont = {}) {
  t.handle().promise().continuation = cont;
  resume_from_outside(t.handle());
}

class generator {
 public:
  struct promise_type {
    int current = 0;
    int id = -1;
    std::string label;

    struct YieldAwaiter {
      SourceLoc loc;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<> h) { note_suspended(h, loc); }
      void await_resume() const noexcept {}
    };

    template <typename... Args>
    explicit promise_type(Args&... args) : id(first_int(args...)) {
      register_promise(this, "generator::promise_type", nullptr);
    }
    ~promise_type() { unregister_promise(this); }
    generator get_return_object() {
      return generator(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    struct DoneAwaiter {
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<> h) const noexcept { note_done(h); }
      void await_resume() const noexcept {}
    };

    std::suspend_always initial_suspend() const noexcept { return {}; }
    DoneAwaiter final_suspend() const noexcept { return {}; }
    YieldAwaiter yield_value(int v, SourceLoc loc = SourceLoc::current()) {
      current = v;
      return {loc};
    }
    void return_void() const noexcept {}
    void unhandled_exception() const noexcept { std::terminate(); }
  };

  explicit generator(std::coroutine_handle<promise_type> h) : owner_(h) {}
  std::coroutine_handle<promise_type> handle() const { return owner_.handle(); }

  // Runs to the next co_yield; false when the generator has finished.
  bool next() {
    resume_from_outside(handle());
    return !handle().done();
  }
  int value() const { return handle().promise().current; }

 private:
  FrameOwner<promise_type> owner_;
};

}  // namespace coro_target
