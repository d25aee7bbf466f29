// Test target: C++20 coroutine frames parked in known states, for
// `corostack coro`. Standard library only (coro_task.hpp).
//
//   coro_chain <ready_fd> <truth_path>
//
// Frames (19; ids in parentheses, each frame's promise has that `id`):
//   top(1..3) -> middle(11..13) -> leaf(21..23)   parked in g_parked; leaf(22)
//                                                  was resumed once, so it waits
//                                                  at its second co_await
//   middle(31) -> leaf(41)                          parked; middle's continuation
//                                                  is std::noop_coroutine()
//   leaf(50)                                        created, never started
//   Server::handle(60), lambda(70), aligned_coro(90)  parked (aligned_coro's
//                                                  promise is alignas(64))
//   counter_generator(80)                           suspended after its first co_yield
//   finished_coro(100)                              ran to completion, not destroyed
//   blocking_top(110) -> blocking_leaf(120)         on thread "coro_runner",
//                                                  blocking_leaf running, in read(2)
//
// Coroutines are not noinline: at -O2 clang may elide their allocations (HALO)
// and put frames on main's stack or inside their parent's frame. The truth
// says where each frame really is. The truth file (parsed by
// tests/e2e/coro_truth.hpp, which documents the format) is written after every
// thread is blocked, then "ready\n" goes to ready_fd, then main blocks in
// read(2) forever.
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "coro_task.hpp"
#include "frame_macros.hpp"
#include "target_common.hpp"

using coro_target::CoroFn;
using coro_target::enter;
using coro_target::park;
using coro_target::SourceLoc;
using coro_target::task;

namespace {

int g_idle_pipe[2];               // nobody ever writes: read() on [0] blocks forever
std::atomic<bool> g_stop{false};  // never set; keeps the loops from looking infinite

}  // namespace

// Each CoroFn sits on the line right before its function's declaration.
constexpr CoroFn kLeaf{"leaf", "leaf", SourceLoc::current()};
task leaf(int id) {
  enter(kLeaf);
  int local = id * 2;
  co_await park();
  local += 1;
  co_await park();
  std::printf("leaf %d: %d\n", id, local);
}

constexpr CoroFn kMiddle{"middle", "middle tier", SourceLoc::current()};
task middle(int id) {
  enter(kMiddle);
  co_await leaf(id + 10);
  std::printf("middle %d done\n", id);
}

constexpr CoroFn kTop{"top", "top-level request handler", SourceLoc::current()};
task top(int id) {
  enter(kTop);
  co_await middle(id + 10);
  std::printf("top %d done\n", id);
}

struct Server {
  int port = 8080;
  task handle(int id);
};

constexpr CoroFn kServerHandle{"Server::handle", "server", SourceLoc::current()};
task Server::handle(int id) {
  enter(kServerHandle);
  co_await park();
  std::printf("server %d handled %d\n", port, id);
}

Server g_server;

constexpr CoroFn kLambda{"lambda", "lambda", SourceLoc::current()};
auto g_lambda = [](int id) -> task {
  enter(kLambda);
  co_await park();
  std::printf("lambda %d done\n", id);
};

constexpr CoroFn kCounter{"counter_generator", "counter", SourceLoc::current()};
coro_target::generator counter_generator(int start) {
  enter(kCounter);
  for (int i = start; !g_stop.load(); ++i) {
    co_yield i;
  }
}

constexpr CoroFn kAligned{"aligned_coro", "aligned", SourceLoc::current()};
coro_target::atask aligned_coro(int id) {
  enter(kAligned);
  co_await park();
  std::printf("aligned %d done\n", id);
}

constexpr CoroFn kFinished{"finished_coro", "finished", SourceLoc::current()};
task finished_coro(int id) {
  enter(kFinished);
  std::printf("finished %d\n", id);
  coro_target::note_next_line();
  co_return;
}

constexpr CoroFn kBlockingLeaf{"blocking_leaf", "blocking leaf", SourceLoc::current()};
task blocking_leaf(int id) {
  enter(kBlockingLeaf);
  target_common::about_to_block({gettid(), {"blocking_leaf"}, {SYS_read}});
  long total = 0;
  char byte;
  while (!g_stop.load()) {
    coro_target::note_next_line();
    total += read(g_idle_pipe[0], &byte, 1);
  }
  std::printf("blocking leaf %d read %ld\n", id, total);
  co_return;
}

constexpr CoroFn kBlockingTop{"blocking_top", "blocking top", SourceLoc::current()};
task blocking_top(int id) {
  enter(kBlockingTop);
  co_await blocking_leaf(id + 10);
  std::printf("blocking top %d done\n", id);
}

namespace {

TARGET_FRAME void coro_runner() {
  pthread_setname_np(pthread_self(), "coro_runner");
  task t = blocking_top(110);
  coro_target::start(t);  // never returns: blocking_leaf blocks in read()
  AFTER_CALL();
}

std::string hex(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%lx",
                static_cast<unsigned long>(reinterpret_cast<uintptr_t>(p)));
  return buf;
}

std::string basename_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string task_comm(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

// The frame a frame's continuation points to, when that is one of ours.
void* parent_of(const coro_target::FrameRecord& r) {
  if (!r.continuation || !*r.continuation) return nullptr;
  void* parent = r.continuation->address();
  return coro_target::g_frames.count(parent) ? parent : nullptr;
}

// The truth file, written as target_common::write_truth does (tmp + rename)
// with coroutine lines after the standard ones.
void write_coro_truth(const std::string& truth_path,
                      const std::vector<target_common::ThreadTruth>& threads) {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n < 0) target_common::die(std::string("readlink /proc/self/exe: ") + std::strerror(errno));
  exe[n] = '\0';

  std::lock_guard lock(coro_target::g_frames_mutex);
  std::ostringstream out;
  out << "pid " << getpid() << "\n";
  out << "exe " << exe << "\n";
  for (const target_common::ThreadTruth& t : threads) {
    out << "thread " << t.tid << " " << task_comm(t.tid) << " ";
    for (size_t i = 0; i < t.chain.size(); ++i) out << (i ? "," : "") << t.chain[i];
    out << "\n";
  }
  out << "source " << SourceLoc::current().file_name() << "\n";
  out << "compiler " << __VERSION__ << "\n";
#if defined(__OPTIMIZE__)
  out << "optimized 1\n";
#else
  out << "optimized 0\n";
#endif
  out << "noop " << hex(std::noop_coroutine().address()) << "\n";

  std::set<void*> parents;
  for (const auto& [frame, r] : coro_target::g_frames) {
    if (!r.fn) target_common::die("frame " + hex(frame) + " was never described");
    out << "frame " << hex(frame) << " " << r.fn->name << " " << r.state << " " << r.line
        << " file=" << basename_of(r.file) << " decl=" << r.fn->decl_line()
        << " promise=" << hex(r.promise) << " promise_type=" << r.promise_type
        << " promise_align=" << r.promise_align << " promise_size=" << r.promise_size
        << " cont=" << (r.continuation ? hex(r.continuation->address()) : "none") << " id=" << *r.id
        << " tid=" << r.tid << " label=" << *r.label << "\n";
    if (void* parent = parent_of(r)) parents.insert(parent);
  }
  // One chain per leaf (a frame nobody continues to), leaf first.
  for (const auto& [frame, r] : coro_target::g_frames) {
    if (parents.count(frame)) continue;
    out << "chain";
    std::set<void*> seen;
    for (void* f = frame; f && seen.insert(f).second; f = parent_of(coro_target::g_frames.at(f)))
      out << " " << hex(f);
    out << "\n";
  }
  out << "parked";
  for (std::coroutine_handle<> h : coro_target::g_parked) out << " " << hex(h.address());
  out << "\n";

  std::string tmp = truth_path + ".tmp";
  {
    std::ofstream file(tmp);
    file << out.str();
    if (!file.flush()) target_common::die("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), truth_path.c_str()) != 0)
    target_common::die("rename " + tmp + ": " + std::strerror(errno));
}

TARGET_FRAME long main_wait(int ready_fd) {
  // Ready is signalled as late as possible; the harness still waits for this
  // thread to sleep before it trusts the state.
  target_common::signal_ready(ready_fd);
  long total = 0;
  char byte;
  while (!g_stop.load()) total += read(g_idle_pipe[0], &byte, 1);
  AFTER_CALL();
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) target_common::die("usage: coro_chain <ready_fd> <truth_path>");
  int ready_fd = std::atoi(argv[1]);
  std::string truth_path = argv[2];
  if (pipe(g_idle_pipe) != 0) target_common::die("pipe failed");

  // Three top -> middle -> leaf chains; the second one's leaf goes on to its
  // second co_await (it is the last parked when advanced).
  task top1 = top(1);
  task top2 = top(2);
  task top3 = top(3);
  coro_target::start(top1);
  coro_target::start(top2);
  coro_target::advance_last_parked();
  coro_target::start(top3);

  // middle -> leaf, with the noop coroutine as the outermost continuation.
  task mid = middle(31);
  coro_target::start(mid, std::noop_coroutine());

  // Created, never started.
  task idle = leaf(50);
  coro_target::describe(idle.handle().address(), kLeaf);

  task server = g_server.handle(60);
  coro_target::start(server);
  task lambda = g_lambda(70);
  coro_target::start(lambda);

  coro_target::generator counter = counter_generator(80);
  if (!counter.next() || counter.value() != 80) target_common::die("generator did not yield 80");

  coro_target::atask aligned = aligned_coro(90);
  coro_target::start(aligned);

  task finished = finished_coro(100);
  coro_target::start(finished);
  if (!finished.handle().done()) target_common::die("finished_coro did not finish");

  std::thread runner(coro_runner);
  runner.detach();

  std::vector<target_common::ThreadTruth> threads = target_common::wait_for_threads(1);
  target_common::wait_until_blocked(threads);
  threads.insert(threads.begin(), {gettid(), {"main_wait", "main"}, {}});
  write_coro_truth(truth_path, threads);

  long r = main_wait(ready_fd);
  AFTER_CALL();
  return r == 12345 ? 1 : 0;
}
