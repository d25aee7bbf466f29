// Test target: threads whose kernel names (comm, set with
// pthread_setname_np: at most 15 bytes) hold terminal escape sequences and
// bytes that are not UTF-8, each blocked in read() on a pipe nobody writes.
//
//   hostile_threads <ready_fd> <truth_path>
//
// Same ready protocol as native_threads. The truth has one line per hostile
// thread, "thread <tid> <index> <name as hex>", after "pid <pid>"; the names
// are kHostileNames below, in order (tests/e2e/hostile_strings_test.cpp keeps
// the same list with the escaped forms it expects).
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "frame_macros.hpp"
#include "target_common.hpp"

namespace {

const char* const kHostileNames[] = {
    "\x1b]0;pwned\x07",        // OSC: set the terminal title
    "\x1b[2J\x1b[H",           // CSI: clear the screen, cursor home
    "bad\xff\xfe\x7f",         // invalid UTF-8 and DEL
    "c1\xc2\x85\xc2\x9b<&\"",  // C1 controls (NEL, CSI) as UTF-8, markup
    "cut\xe2\x82",             // a UTF-8 sequence cut short
    "back\\x1b",               // a literal backslash that looks like an escape
};

int g_idle_pipe[2];
std::atomic<bool> g_stop{false};  // never set
std::atomic<pid_t> g_tids[std::size(kHostileNames)];

TARGET_FRAME long hostile_block() {
  target_common::about_to_block({static_cast<pid_t>(gettid()), {"hostile_block"}, {SYS_read}});
  long total = 0;
  char byte;
  while (!g_stop.load()) total += read(g_idle_pipe[0], &byte, 1);
  AFTER_CALL();
  return total;
}

TARGET_FRAME void* hostile_thread(void* arg) {
  long index = reinterpret_cast<long>(arg);
  pthread_setname_np(pthread_self(), kHostileNames[index]);
  g_tids[index] = static_cast<pid_t>(gettid());
  long r = hostile_block();
  AFTER_CALL();
  return reinterpret_cast<void*>(r);
}

std::string hex(const std::string& s) {
  std::string out;
  char buf[3];
  for (unsigned char c : s) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) target_common::die("usage: hostile_threads <ready_fd> <truth_path>");
  int ready_fd = std::atoi(argv[1]);
  std::string truth_path = argv[2];
  if (pipe(g_idle_pipe) != 0) target_common::die("pipe failed");
  const long count = static_cast<long>(std::size(kHostileNames));
  std::vector<pthread_t> handles(static_cast<size_t>(count));
  for (long i = 0; i < count; ++i) {
    if (pthread_create(&handles[static_cast<size_t>(i)], nullptr, hostile_thread,
                       reinterpret_cast<void*>(i)) != 0)
      target_common::die("pthread_create failed");
  }
  std::vector<target_common::ThreadTruth> threads =
      target_common::wait_for_threads(static_cast<size_t>(count));
  target_common::wait_until_blocked(threads);
  std::string tmp = truth_path + ".tmp";
  {
    std::ofstream out(tmp);
    out << "pid " << getpid() << "\n";
    for (long i = 0; i < count; ++i)
      out << "thread " << g_tids[i].load() << " " << i << " " << hex(kHostileNames[i]) << "\n";
    if (!out.flush()) target_common::die("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), truth_path.c_str()) != 0) target_common::die("rename failed");
  target_common::signal_ready(ready_fd);
  long total = 0;
  char byte;
  while (!g_stop.load()) total += read(g_idle_pipe[0], &byte, 1);
  return total == 12345 ? 1 : 0;
}
