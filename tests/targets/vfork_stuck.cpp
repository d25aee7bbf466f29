// A thread in uninterruptible sleep, made without privileges or a special
// file system: a vfork() parent sleeps in D (TASK_KILLABLE) until its child
// execs or exits, and this child does neither. doctor --watch must call that
// thread stuck; the main thread, idle in a read, must not be.
//
// Usage: vfork_stuck <ready_fd> <truth_path>
// Truth (written by main before the vfork, "pid N" and "stuck TID" lines):
// then the vforked child writes "ready\n" to ready_fd (the test also waits
// for the kernel to show the thread in D) and pauses for ever. Killing the
// process group ends both.
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

namespace {

std::atomic<pid_t> g_stuck_tid{0};

// Runs on its own thread; never returns while the child lives.
void stuck_in_vfork(int ready_fd) {
  g_stuck_tid = static_cast<pid_t>(::syscall(SYS_gettid));
  while (g_stuck_tid.load() != -1) ::usleep(1000);  // main has written the truth
  pid_t child = ::vfork();
  if (child == 0) {
    // The child shares our memory until it execs: only raw system calls.
    static const char kReady[] = "ready\n";
    ::syscall(SYS_write, ready_fd, kReady, sizeof kReady - 1);
    for (;;) ::syscall(SYS_pause);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <ready_fd> <truth_path>\n", argv[0]);
    return 64;
  }
  int ready_fd = std::atoi(argv[1]);
  std::string truth_path = argv[2];
  std::thread t(stuck_in_vfork, ready_fd);
  pid_t tid = 0;
  while ((tid = g_stuck_tid.load()) == 0) ::usleep(1000);
  {
    std::ofstream out(truth_path + ".tmp");
    out << "pid " << ::getpid() << "\nstuck " << tid << "\n";
  }
  std::rename((truth_path + ".tmp").c_str(), truth_path.c_str());
  g_stuck_tid = -1;
  char c;
  while (::read(0, &c, 1) != 0) {
  }  // idle: stdin stays open and silent
  for (;;) ::pause();
}
