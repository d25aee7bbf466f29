// Test target for cores of crashed processes (`doctor --core`, `dump --core`'s
// header): a worker thread dies from a chosen fatal signal while the main
// thread blocks, so "the thread that received it" is not simply the main one.
//
//   crasher <ready_fd> <truth_path> <mode>
//
// Modes: segv (write to address 0x42), assert (a failed assert with a known
// message), overflow (unbounded recursion), fpe (integer division by zero),
// bus (touching a mapped page past the end of its file).
//
// Truth: the standard lines, then `crash <tid> <signal number> <fault address
// hex or -> <function>` and, for assert, `assert <the expression text>`.
// Then "ready\n", and only then does the worker crash (main lets it go
// through a pipe), so the truth is on disk before the process dies.
#undef NDEBUG
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "frame_macros.hpp"
#include "target_common.hpp"

namespace {

std::string g_mode;
std::string g_dir;
volatile int g_zero = 0;
int g_go[2];   // main writes a byte once the truth is written
int g_tid[2];  // the worker writes its tid here first

}  // namespace

TARGET_FRAME int write_to_bad_address() {
  volatile int* p = reinterpret_cast<volatile int*>(0x42);
  *p = 7;
  AFTER_CALL();
  return 0;
}

TARGET_FRAME int check_config(int loaded) {
  assert(loaded == 42 && "config loaded");
  AFTER_CALL();
  return loaded;
}

volatile bool g_keep_going = true;  // never cleared: the recursion ends in the guard page

TARGET_FRAME int recurse_forever(int depth) {
  volatile char pad[512];
  pad[0] = static_cast<char>(depth);
  int r = g_keep_going ? recurse_forever(depth + 1) + pad[0] : 0;
  AFTER_CALL();
  return r;
}

TARGET_FRAME int divide_by_zero(int x) {
  int r = x / g_zero;
  AFTER_CALL();
  return r;
}

TARGET_FRAME int touch_past_end_of_file() {
  std::string path = g_dir + "/empty_file";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) target_common::die("open " + path);
  void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) target_common::die("mmap");
  volatile char* c = static_cast<volatile char*>(p);
  *c = 1;
  AFTER_CALL();
  return 0;
}

namespace {

void* crash_thread(void*) {
  pthread_setname_np(pthread_self(), "doomed");
  pid_t self = gettid();
  if (write(g_tid[1], &self, sizeof self) != sizeof self) target_common::die("write tid");
  char byte;
  while (read(g_go[0], &byte, 1) != 1) {
  }
  if (g_mode == "segv") write_to_bad_address();
  if (g_mode == "assert") check_config(7);
  if (g_mode == "overflow") recurse_forever(0);
  if (g_mode == "fpe") divide_by_zero(5);
  if (g_mode == "bus") touch_past_end_of_file();
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) target_common::die("usage: crasher <ready_fd> <truth_path> <mode>");
  int ready_fd = std::atoi(argv[1]);
  std::string truth = argv[2];
  g_mode = argv[3];
  g_dir = truth.substr(0, truth.rfind('/'));
  if (pipe(g_go) != 0 || pipe(g_tid) != 0) target_common::die("pipe");
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);  // overflows quickly
  if (pthread_create(&t, &attr, crash_thread, nullptr) != 0) target_common::die("pthread_create");
  pid_t tid = 0;
  if (read(g_tid[0], &tid, sizeof tid) != sizeof tid) target_common::die("read tid");
  std::string function = g_mode == "segv"       ? "write_to_bad_address"
                         : g_mode == "assert"   ? "check_config"
                         : g_mode == "overflow" ? "recurse_forever"
                         : g_mode == "fpe"      ? "divide_by_zero"
                                                : "touch_past_end_of_file";
  int signo = g_mode == "segv" || g_mode == "overflow" ? SIGSEGV
              : g_mode == "assert"                     ? SIGABRT
              : g_mode == "fpe"                        ? SIGFPE
                                                       : SIGBUS;
  {
    std::ofstream out(truth + ".tmp");
    out << "pid " << getpid() << "\n";
    out << "crash " << tid << " " << signo << " " << (g_mode == "segv" ? "42" : "-") << " "
        << function << "\n";
    if (g_mode == "assert") out << "assert loaded == 42 && \"config loaded\"\n";
  }
  std::rename((truth + ".tmp").c_str(), truth.c_str());
  target_common::signal_ready(ready_fd);
  if (write(g_go[1], "g", 1) != 1) target_common::die("write go");
  pthread_join(t, nullptr);
  return 1;  // not reached: the worker's signal kills the process
}
