// A known sequence of system calls for the eBPF tracer's e2e test
// (tests/e2e/bpf_tracer_test.cpp), started only when the test says go, so
// the tracer is attached before the first call of interest:
//
//   bpf_syscall_target READY_FD GO_FIFO TRUTH_PATH fork|nofork
//
// 1. opens GO_FIFO, writes "ready\n" to READY_FD, blocks reading one byte;
// 2. getppid x1000, openat of a missing path (ENOENT), write of a known
//    string to /dev/null, a pipe write then read of "ping";
// 3. with "fork": a child calls getppid x77 and exits; the parent reaps it;
// 4. writes what it did (values, addresses, results) to TRUTH_PATH, exits 0.
//
// Calls go through syscall(2) where the test counts them, so glibc cannot
// substitute or cache anything.
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "target_common.hpp"

namespace {

constexpr int kGetppidCalls = 1000;
constexpr int kChildGetppidCalls = 77;
constexpr char kPayload[] = "corostack-bpf-write-payload\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) target_common::die("usage: bpf_syscall_target READY_FD GO_FIFO TRUTH fork|nofork");
  int ready_fd = std::atoi(argv[1]);
  std::string truth_path = argv[3];
  bool do_fork = std::strcmp(argv[4], "fork") == 0;

  // O_RDWR: opening a FIFO so never waits for a writer, and the test's
  // writer can open it without blocking either.
  int go = open(argv[2], O_RDWR);
  if (go < 0) target_common::die(std::string("open go fifo: ") + std::strerror(errno));
  target_common::signal_ready(ready_fd);
  char c = 0;
  ssize_t got;
  while ((got = read(go, &c, 1)) < 0 && errno == EINTR) {
  }
  if (got != 1) target_common::die("no go byte");

  long parent = 0;
  for (int i = 0; i < kGetppidCalls; ++i) parent = syscall(SYS_getppid);

  std::string missing = "/nonexistent-corostack-bpf/" + std::to_string(getpid());
  long open_ret = syscall(SYS_openat, AT_FDCWD, missing.c_str(), O_RDONLY);
  int open_errno = errno;

  int null_fd = open("/dev/null", O_WRONLY);
  long write_ret = syscall(SYS_write, null_fd, kPayload, sizeof kPayload - 1);

  int p[2];
  if (pipe(p) != 0) target_common::die("pipe");
  if (syscall(SYS_write, p[1], "ping", 4) != 4) target_common::die("pipe write");
  char buf[16];
  long read_ret = syscall(SYS_read, p[0], buf, sizeof buf);

  pid_t child = 0;
  if (do_fork) {
    child = fork();
    if (child < 0) target_common::die("fork");
    if (child == 0) {
      for (int i = 0; i < kChildGetppidCalls; ++i) syscall(SYS_getppid);
      _exit(0);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
  }

  std::string tmp = truth_path + ".tmp";
  {
    std::ofstream out(tmp);
    out << "pid " << getpid() << "\n"
        << "parent " << parent << "\n"
        << "getppid_calls " << kGetppidCalls << "\n"
        << "openat_path " << missing << "\n"
        << "openat_addr " << reinterpret_cast<uintptr_t>(missing.c_str()) << "\n"
        << "openat_ret " << open_ret << "\n"
        << "openat_errno " << open_errno << "\n"
        << "write_fd " << null_fd << "\n"
        << "write_addr " << reinterpret_cast<uintptr_t>(kPayload) << "\n"
        << "write_ret " << write_ret << "\n"
        << "pipe_read_fd " << p[0] << "\n"
        << "pipe_read_ret " << read_ret << "\n"
        << "child_pid " << child << "\n"
        << "child_getppid_calls " << (do_fork ? kChildGetppidCalls : 0) << "\n";
  }
  if (std::rename(tmp.c_str(), truth_path.c_str()) != 0) target_common::die("rename truth");
  return 0;
}
