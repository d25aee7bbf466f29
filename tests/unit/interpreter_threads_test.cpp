// join_interpreter_threads: thread states of one OS thread become one entry,
// innermost interpreter first; a state running on another thread's stack
// than it records moves there (CPython gh-109860).
#include "python/interpreter_threads.hpp"

#include <gtest/gtest.h>

namespace corostack::python {
namespace {

PyThread state(int64_t interp, int64_t tid, uint64_t ident, uint64_t anchor,
               const std::string& frame) {
  PyThread t;
  t.tstate = RemoteAddr(0x1000 + 0x100 * static_cast<uint64_t>(interp));
  t.interpreter = interp;
  t.native_tid = tid;
  t.thread_id = ident;
  t.cstack_anchor = RemoteAddr(anchor);
  PyFrame f;
  f.function = frame;
  f.interpreter = interp;
  t.frames.push_back(f);
  return t;
}

std::vector<std::string> functions(const PyThread& t) {
  std::vector<std::string> out;
  for (const PyFrame& f : t.frames) out.push_back(f.function);
  return out;
}

TEST(InterpreterThreads, NestedStatesOrderedByTheirCStackAnchors) {
  std::vector<PyThread> threads;
  // Interpreter list order is newest first; the anchors say who is inner.
  threads.push_back(state(2, 10, 0xa, 0x7ff000, "inner"));
  threads.push_back(state(1, 10, 0xa, 0x7ff800, "middle"));
  threads.push_back(state(0, 11, 0xb, 0x7fe000, "other thread"));
  threads.push_back(state(0, 10, 0xa, 0x7ffc00, "outer"));
  join_interpreter_threads(threads);
  ASSERT_EQ(threads.size(), 2u);
  EXPECT_EQ(functions(threads[0]), (std::vector<std::string>{"inner", "middle", "outer"}));
  EXPECT_EQ(threads[0].interpreter, 2);
  EXPECT_EQ(threads[0].outer_tstates.size(), 2u);
  EXPECT_EQ(thread_states(threads[0]).size(), 3u);
  EXPECT_EQ(functions(threads[1]), (std::vector<std::string>{"other thread"}));
}

TEST(InterpreterThreads, WithoutAnchorsTheMainInterpreterIsOutermost) {
  std::vector<PyThread> threads;
  threads.push_back(state(0, 0, 0xa, 0, "main"));
  threads.push_back(state(1, 0, 0xa, 0, "sub"));
  join_interpreter_threads(threads);
  ASSERT_EQ(threads.size(), 1u);
  EXPECT_EQ(functions(threads[0]), (std::vector<std::string>{"sub", "main"}));
}

TEST(InterpreterThreads, StateOnAnotherThreadsStackMovesThere) {
  std::vector<PyThread> threads;
  // Interpreter 3's first state was made on thread 10, but runs on 20's stack.
  threads.push_back(state(3, 10, 0xa, 0x5000, "leaf"));
  threads.push_back(state(0, 10, 0xa, 0x9000, "main_level"));
  threads.push_back(state(0, 20, 0xb, 0x5800, "worker_level"));
  StackOwner owner = [](RemoteAddr a) -> std::optional<int64_t> {
    if (a.value() >= 0x4000 && a.value() < 0x6000) return 20;
    if (a.value() >= 0x8000 && a.value() < 0xa000) return 10;
    return std::nullopt;
  };
  join_interpreter_threads(threads, owner);
  ASSERT_EQ(threads.size(), 2u);
  const PyThread* worker = threads[0].native_tid == 20 ? &threads[0] : &threads[1];
  const PyThread* main = threads[0].native_tid == 20 ? &threads[1] : &threads[0];
  EXPECT_EQ(functions(*worker), (std::vector<std::string>{"leaf", "worker_level"}));
  EXPECT_EQ(worker->thread_id, 0xbu);  // the outermost (the thread's own) state's pthread_t
  EXPECT_EQ(functions(*main), (std::vector<std::string>{"main_level"}));
}

TEST(InterpreterThreads, UnboundStatesStayApart) {
  std::vector<PyThread> threads;
  threads.push_back(state(1, 0, 0, 0, "a"));
  threads.push_back(state(2, 0, 0, 0, "b"));
  join_interpreter_threads(threads);
  EXPECT_EQ(threads.size(), 2u);
}

}  // namespace
}  // namespace corostack::python
