// Test target for "do no harm": threads blocked in the system calls that
// PTRACE_INTERRUPT makes return EINTR (epoll_wait, poll, select, a futex
// wait, accept), each in a loop that exits the whole process loudly on
// EINTR, the way a C event loop without retries breaks. corostack must read
// them without interrupting them: after any number of `corostack dump` runs
// the process is still alive. `dump --stop-all` must kill it (the negative
// control that shows the test can fail).
//
//   eintr_loops <ready_fd> <truth_path>
#include <linux/futex.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "frame_macros.hpp"
#include "target_common.hpp"

namespace {

int g_pipe[2];               // nobody ever writes
int g_listener = -1;         // nobody ever connects
std::atomic<int> g_word{0};  // nobody ever wakes it
std::atomic<bool> g_stop{false};

// The loud exit a loop without EINTR handling effectively takes.
[[noreturn]] void interrupted(const char* call) {
  std::fprintf(stderr, "eintr_loops: %s returned EINTR: the target was interrupted\n", call);
  std::fflush(stderr);
  _exit(3);
}

void check(long r, const char* call) {
  if (r < 0 && errno == EINTR) interrupted(call);
  if (r < 0) target_common::die(std::string(call) + " failed");
}

}  // namespace

TARGET_FRAME void* epoll_loop(void*) {
  int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  epoll_ctl(ep, EPOLL_CTL_ADD, g_pipe[0], &ev);
  target_common::about_to_block({gettid(), {"epoll_loop"}, {SYS_epoll_wait, SYS_epoll_pwait}});
  while (!g_stop.load()) check(epoll_wait(ep, &ev, 1, -1), "epoll_wait");
  AFTER_CALL();
  return nullptr;
}

TARGET_FRAME void* poll_loop(void*) {
  pollfd p{g_pipe[0], POLLIN, 0};
  target_common::about_to_block({gettid(), {"poll_loop"}, {SYS_poll, SYS_ppoll}});
  while (!g_stop.load()) check(poll(&p, 1, -1), "poll");
  AFTER_CALL();
  return nullptr;
}

TARGET_FRAME void* select_loop(void*) {
  target_common::about_to_block({gettid(), {"select_loop"}, {SYS_select, SYS_pselect6}});
  while (!g_stop.load()) {
    fd_set r;
    FD_ZERO(&r);
    FD_SET(g_pipe[0], &r);
    check(select(g_pipe[0] + 1, &r, nullptr, nullptr, nullptr), "select");
  }
  AFTER_CALL();
  return nullptr;
}

TARGET_FRAME void* futex_loop(void*) {
  target_common::about_to_block({gettid(), {"futex_loop"}, {SYS_futex}});
  while (!g_stop.load()) {
    long r = syscall(SYS_futex, &g_word, FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
    if (r < 0 && errno == EAGAIN) continue;
    check(r, "futex");
  }
  AFTER_CALL();
  return nullptr;
}

TARGET_FRAME void* accept_loop(void*) {
  target_common::about_to_block({gettid(), {"accept_loop"}, {SYS_accept, SYS_accept4}});
  while (!g_stop.load()) check(accept(g_listener, nullptr, nullptr), "accept");
  AFTER_CALL();
  return nullptr;
}

int main(int argc, char** argv) {
  if (argc != 3) target_common::die("usage: eintr_loops <ready_fd> <truth_path>");
  int ready_fd = std::atoi(argv[1]);
  if (pipe(g_pipe) != 0) target_common::die("pipe failed");
  g_listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (g_listener < 0 || bind(g_listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(g_listener, 1) != 0)
    target_common::die("listen failed");
  void* (*loops[])(void*) = {epoll_loop, poll_loop, select_loop, futex_loop, accept_loop};
  for (auto loop : loops) {
    pthread_t t;
    if (pthread_create(&t, nullptr, loop, nullptr) != 0) target_common::die("pthread_create");
    pthread_detach(t);
  }
  auto threads = target_common::wait_for_threads(std::size(loops));
  target_common::wait_until_blocked(threads);
  threads.insert(threads.begin(), {gettid(), {"main"}, {}});
  target_common::write_truth(argv[2], threads);
  target_common::signal_ready(ready_fd);
  // main blocks too, in a poll that also must not be interrupted.
  pollfd p{g_pipe[0], POLLIN, 0};
  while (!g_stop.load()) check(poll(&p, 1, -1), "poll (main)");
  return 0;
}
