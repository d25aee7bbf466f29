#include "target_common.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace target_common {
namespace {

std::mutex g_mutex;
std::condition_variable g_cv;
std::vector<ThreadTruth> g_threads;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// State letter from /proc/self/task/TID/stat; comm may hold spaces or ')',
// so the state is the first field after the last ')'.
char task_state(pid_t tid) {
  std::string stat = read_file("/proc/self/task/" + std::to_string(tid) + "/stat");
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return '?';
  return stat[paren + 2];
}

// First field of /proc/self/task/TID/syscall: the number, "running" or -1.
int task_syscall(pid_t tid) {
  std::string text = read_file("/proc/self/task/" + std::to_string(tid) + "/syscall");
  if (text.empty() || text[0] < '0' || text[0] > '9') return -1;
  return std::atoi(text.c_str());
}

std::string task_comm(pid_t tid) {
  std::string comm = read_file("/proc/self/task/" + std::to_string(tid) + "/comm");
  if (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return comm;
}

bool is_blocked(const ThreadTruth& t) {
  if (task_state(t.tid) != 'S') return false;
  int nr = task_syscall(t.tid);
  return std::find(t.syscalls.begin(), t.syscalls.end(), nr) != t.syscalls.end();
}

}  // namespace

void die(const std::string& what) {
  std::fprintf(stderr, "target: %s\n", what.c_str());
  std::fflush(stderr);
  std::_Exit(1);
}

void about_to_block(ThreadTruth truth) {
  std::lock_guard lock(g_mutex);
  g_threads.push_back(std::move(truth));
  g_cv.notify_all();
}

std::vector<ThreadTruth> wait_for_threads(size_t count) {
  std::unique_lock lock(g_mutex);
  if (!g_cv.wait_for(lock, std::chrono::seconds(20), [&] { return g_threads.size() >= count; }))
    die("threads did not start: " + std::to_string(g_threads.size()) + "/" + std::to_string(count));
  return g_threads;
}

void wait_until_blocked(const std::vector<ThreadTruth>& threads) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (const ThreadTruth& t : threads) {
    while (!is_blocked(t)) {
      if (std::chrono::steady_clock::now() > deadline)
        die("thread " + std::to_string(t.tid) + " did not block (state " + task_state(t.tid) +
            ", syscall " + std::to_string(task_syscall(t.tid)) + ")");
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
}

void write_truth(const std::string& truth_path, const std::vector<ThreadTruth>& threads) {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n < 0) die(std::string("readlink /proc/self/exe: ") + std::strerror(errno));
  exe[n] = '\0';

  std::string tmp = truth_path + ".tmp";
  {
    std::ofstream out(tmp);
    out << "pid " << getpid() << "\n";
    out << "exe " << exe << "\n";
    for (const ThreadTruth& t : threads) {
      // The name is what the kernel reports, e.g. the truncated exe name for main.
      out << "thread " << t.tid << " " << task_comm(t.tid) << " ";
      for (size_t i = 0; i < t.chain.size(); ++i) out << (i ? "," : "") << t.chain[i];
      out << "\n";
    }
    if (!out.flush()) die("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), truth_path.c_str()) != 0)
    die("rename " + tmp + ": " + std::strerror(errno));
}

void signal_ready(int ready_fd) {
  const char msg[] = "ready\n";
  if (write(ready_fd, msg, sizeof msg - 1) != static_cast<ssize_t>(sizeof msg - 1))
    die(std::string("write ready: ") + std::strerror(errno));
  close(ready_fd);
}

}  // namespace target_common
