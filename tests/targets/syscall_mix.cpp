// A native target for the `trace` strace oracle (tests/e2e/trace_native_test.cpp):
// started by the tracer, it makes one fixed sequence of network, process,
// pipe and epoll calls, so strace's lines and corostack's must agree.
//
//   syscall_mix UNIX_SOCKET_PATH TCP_PORT
//
//  1. AF_UNIX stream: a server socket bound to UNIX_SOCKET_PATH listens; a
//     client connects; accept4 (with the peer's address); getsockname of the
//     accepted socket; a fixed string sent and received each way.
//  2. AF_INET stream on 127.0.0.1:TCP_PORT: the same (SO_REUSEADDR, so the
//     second tracer's run can bind the port again), getsockname of the
//     listener; accept4 without an address (the client's port is ephemeral).
//  3. pipe2, epoll_create1, epoll_ctl(ADD, EPOLLIN), a write to the pipe,
//     epoll_wait with timeout 0 (one event), a read.
//  4. fork: the child execve()s /bin/true; the parent wait4()s it.
//  5. pthread_create (clone3 on glibc 2.36): once pthread_create has
//     returned, the thread writes to the pipe and exits; join; the main
//     thread reads what it wrote.
//  6. unlink UNIX_SOCKET_PATH; exit_group(0).
//
// Every value a line shows is fixed (fd numbers, lengths, the epoll data is
// the fd) except pids and addresses, which the test normalizes. Any failure
// exits 1 with a message (stderr writes are to fd 2, after the failed call).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr char kPing[] = "ping from client";
constexpr char kPong[] = "pong from server";
constexpr char kPipe[] = "pipe";
constexpr char kThread[] = "from thread";

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "syscall_mix: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

void check(bool ok, const char* what) {
  if (!ok) die(what);
}

// One message each way over a connected pair: client -> server, server -> client.
void exchange(int client, int server) {
  char buf[64];
  check(sendto(client, kPing, sizeof kPing - 1, 0, nullptr, 0) == sizeof kPing - 1, "sendto ping");
  check(recvfrom(server, buf, sizeof buf, 0, nullptr, nullptr) == sizeof kPing - 1,
        "recvfrom ping");
  check(sendto(server, kPong, sizeof kPong - 1, 0, nullptr, 0) == sizeof kPong - 1, "sendto pong");
  check(recvfrom(client, buf, sizeof buf, 0, nullptr, nullptr) == sizeof kPong - 1,
        "recvfrom pong");
}

void unix_stream(const char* path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  check(std::strlen(path) < sizeof addr.sun_path, "socket path too long");
  std::strcpy(addr.sun_path, path);
  socklen_t addr_len = offsetof(sockaddr_un, sun_path) + std::strlen(path) + 1;

  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  check(listener >= 0, "socket(AF_UNIX)");
  check(bind(listener, reinterpret_cast<sockaddr*>(&addr), addr_len) == 0, "bind(AF_UNIX)");
  check(listen(listener, 8) == 0, "listen(AF_UNIX)");
  int client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  check(client >= 0, "socket(AF_UNIX) client");
  check(connect(client, reinterpret_cast<sockaddr*>(&addr), addr_len) == 0, "connect(AF_UNIX)");
  sockaddr_un peer{};
  socklen_t peer_len = sizeof peer;
  int server = accept4(listener, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_CLOEXEC);
  check(server >= 0, "accept4(AF_UNIX)");
  sockaddr_un self{};
  socklen_t self_len = sizeof self;
  check(getsockname(server, reinterpret_cast<sockaddr*>(&self), &self_len) == 0,
        "getsockname(AF_UNIX)");
  exchange(client, server);
  close(server);
  close(client);
  close(listener);
}

void tcp_stream(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  check(listener >= 0, "socket(AF_INET)");
  int one = 1;
  check(setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0, "setsockopt");
  check(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "bind(AF_INET)");
  check(listen(listener, 8) == 0, "listen(AF_INET)");
  sockaddr_in bound{};
  socklen_t bound_len = sizeof bound;
  check(getsockname(listener, reinterpret_cast<sockaddr*>(&bound), &bound_len) == 0,
        "getsockname(AF_INET)");
  int client = socket(AF_INET, SOCK_STREAM, 0);
  check(client >= 0, "socket(AF_INET) client");
  check(connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "connect(AF_INET)");
  int server = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  check(server >= 0, "accept4(AF_INET)");
  exchange(client, server);
  close(server);
  close(client);
  close(listener);
}

void pipe_and_epoll(int fds[2]) {
  check(pipe2(fds, O_CLOEXEC) == 0, "pipe2");
  int ep = epoll_create1(EPOLL_CLOEXEC);
  check(ep >= 0, "epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = static_cast<uint64_t>(fds[0]);
  check(epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev) == 0, "epoll_ctl");
  check(write(fds[1], kPipe, sizeof kPipe - 1) == sizeof kPipe - 1, "write pipe");
  epoll_event got[4];
  check(epoll_wait(ep, got, 4, 0) == 1, "epoll_wait");
  char buf[64];
  check(read(fds[0], buf, sizeof buf) == sizeof kPipe - 1, "read pipe");
  close(ep);
}

void fork_exec_wait() {
  pid_t child = fork();
  check(child >= 0, "fork");
  if (child == 0) {
    char prog[] = "/bin/true";
    char* args[] = {prog, nullptr};
    execve(prog, args, environ);
    _exit(127);
  }
  int status = 0;
  pid_t got;
  while ((got = wait4(child, &status, 0, nullptr)) < 0 && errno == EINTR) {
  }
  check(got == child && WIFEXITED(status) && WEXITSTATUS(status) == 0, "wait4");
}

struct ThreadArgs {
  int fd;
  pthread_barrier_t* started;
};

void* thread_main(void* arg) {
  auto* args = static_cast<ThreadArgs*>(arg);
  pthread_barrier_wait(args->started);
  if (write(args->fd, kThread, sizeof kThread - 1) != sizeof kThread - 1) die("thread write");
  return nullptr;
}

// The thread waits (futex, not traced) until pthread_create has returned,
// i.e. until the tracer has decoded clone3's exit: else the thread could
// exit first, and CLONE_CHILD_CLEARTID zero the parent_tid the tracer reads
// ("=> {parent_tid=[0]}", as strace shows then).
void thread_write_join(int fds[2]) {
  pthread_barrier_t started;
  pthread_barrier_init(&started, nullptr, 2);
  ThreadArgs args{fds[1], &started};
  pthread_t t;
  errno = pthread_create(&t, nullptr, thread_main, &args);
  check(errno == 0, "pthread_create");
  pthread_barrier_wait(&started);
  errno = pthread_join(t, nullptr);
  check(errno == 0, "pthread_join");
  pthread_barrier_destroy(&started);
  char buf[64];
  check(read(fds[0], buf, sizeof buf) == sizeof kThread - 1, "read thread");
}

}  // namespace

int main(int argc, char** argv) {
  // Fds the caller leaked to us (ctest leaves one open) would shift every fd
  // number this target prints; start from 3 whoever runs it. close_range is
  // not in the traced set.
  ::syscall(SYS_close_range, 3U, ~0U, 0U);
  if (argc != 3) {
    std::fprintf(stderr, "usage: syscall_mix UNIX_SOCKET_PATH TCP_PORT\n");
    return 2;
  }
  unix_stream(argv[1]);
  tcp_stream(std::atoi(argv[2]));
  int fds[2];
  pipe_and_epoll(fds);
  fork_exec_wait();
  thread_write_join(fds);
  check(unlink(argv[1]) == 0, "unlink");
  return 0;
}
