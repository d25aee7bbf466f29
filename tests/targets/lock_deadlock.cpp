// Test target for `doctor`: threads in a known lock state, then blocked.
//
//   lock_deadlock <ready_fd> <truth_path> <mode>
//
// Modes:
//   abba      two threads, pthread mutexes owl_mutex and inventory_mu, opposite order
//   cycle3    three threads around ledger_mu → owl_mutex → inventory_mu → ledger_mu
//   stdmutex  two threads, std::mutex alpha_mutex and beta_mutex, opposite order
//   rwlock    one thread write-locks catalog_rwlock and wants owl_mutex; the
//             other holds owl_mutex and wants to write-lock catalog_rwlock
//   abandoned a thread locks orphan_mutex and exits; another waits for it
//   healthy   workers idle on a condition variable, one thread waiting for a
//             mutex whose holder sleeps in read() (contention, no cycle)
//
// Truth: the standard lines (target_common.hpp), then one line per lock
// wait: `wait <waiter_tid> <holder_tid|0|exited:TID> <lock_address_hex> <lock_name> <function>`,
// where <function> is the program's function that asked for the lock.
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "frame_macros.hpp"
#include "target_common.hpp"

using target_common::about_to_block;

pthread_mutex_t owl_mutex = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t inventory_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t ledger_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t orphan_mutex = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t contended_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_rwlock_t catalog_rwlock = PTHREAD_RWLOCK_INITIALIZER;
std::mutex alpha_mutex;
std::mutex beta_mutex;

namespace {

struct Wait {
  pid_t waiter = 0;
  std::string holder;
  const void* lock = nullptr;
  std::string name;
  std::string function;
};

pthread_mutex_t g_truth_mu = PTHREAD_MUTEX_INITIALIZER;
std::vector<Wait> g_waits;
pthread_barrier_t g_barrier;  // every thread holds its first lock
int g_idle_pipe[2];

void record_wait(Wait w) {
  pthread_mutex_lock(&g_truth_mu);
  g_waits.push_back(std::move(w));
  pthread_mutex_unlock(&g_truth_mu);
}

struct Step {
  pthread_mutex_t* first;
  pthread_mutex_t* second;
  const char* second_name;
  std::vector<pid_t>* tids;  // filled by thread index
  size_t index;
  size_t count;
};

}  // namespace

// Takes `second` while holding `first`: the program's own locking function.
TARGET_FRAME void take_second_lock(Step* s, pid_t holder) {
  record_wait({gettid(), std::to_string(holder), s->second, s->second_name, "take_second_lock"});
  about_to_block({gettid(), {"take_second_lock"}, {SYS_futex}});
  pthread_mutex_lock(s->second);
  AFTER_CALL();
}

namespace {

std::vector<pid_t> g_tids(3);

void* cycle_thread(void* arg) {
  auto* s = static_cast<Step*>(arg);
  pthread_mutex_lock(s->first);
  g_tids[s->index] = gettid();
  pthread_barrier_wait(&g_barrier);
  take_second_lock(s, g_tids[(s->index + 1) % s->count]);
  return nullptr;
}

}  // namespace

TARGET_FRAME void lock_beta_while_alpha(pid_t holder) {
  record_wait(
      {gettid(), std::to_string(holder), &beta_mutex, "beta_mutex", "lock_beta_while_alpha"});
  about_to_block({gettid(), {"lock_beta_while_alpha"}, {SYS_futex}});
  std::lock_guard<std::mutex> g(beta_mutex);
  AFTER_CALL();
}

TARGET_FRAME void lock_alpha_while_beta(pid_t holder) {
  record_wait(
      {gettid(), std::to_string(holder), &alpha_mutex, "alpha_mutex", "lock_alpha_while_beta"});
  about_to_block({gettid(), {"lock_alpha_while_beta"}, {SYS_futex}});
  std::lock_guard<std::mutex> g(alpha_mutex);
  AFTER_CALL();
}

TARGET_FRAME void write_catalog(pid_t holder) {
  record_wait(
      {gettid(), std::to_string(holder), &catalog_rwlock, "catalog_rwlock", "write_catalog"});
  about_to_block({gettid(), {"write_catalog"}, {SYS_futex}});
  pthread_rwlock_wrlock(&catalog_rwlock);
  AFTER_CALL();
}

TARGET_FRAME void wait_for_orphan(pid_t holder) {
  record_wait({gettid(), "exited:" + std::to_string(holder), &orphan_mutex, "orphan_mutex",
               "wait_for_orphan"});
  about_to_block({gettid(), {"wait_for_orphan"}, {SYS_futex}});
  pthread_mutex_lock(&orphan_mutex);
  AFTER_CALL();
}

TARGET_FRAME void wait_for_contended(pid_t holder) {
  record_wait(
      {gettid(), std::to_string(holder), &contended_mu, "contended_mu", "wait_for_contended"});
  about_to_block({gettid(), {"wait_for_contended"}, {SYS_futex}});
  pthread_mutex_lock(&contended_mu);
  AFTER_CALL();
}

namespace {

std::atomic<pid_t> g_partner{0};

void* alpha_then_beta(void*) {
  std::lock_guard<std::mutex> g(alpha_mutex);
  g_tids[0] = gettid();
  pthread_barrier_wait(&g_barrier);
  lock_beta_while_alpha(g_tids[1]);
  return nullptr;
}

void* beta_then_alpha(void*) {
  std::lock_guard<std::mutex> g(beta_mutex);
  g_tids[1] = gettid();
  pthread_barrier_wait(&g_barrier);
  lock_alpha_while_beta(g_tids[0]);
  return nullptr;
}

void* rw_writer(void*) {
  pthread_rwlock_wrlock(&catalog_rwlock);
  g_tids[0] = gettid();
  pthread_barrier_wait(&g_barrier);
  Step s{nullptr, &owl_mutex, "owl_mutex", nullptr, 0, 0};
  take_second_lock(&s, g_tids[1]);
  return nullptr;
}

void* rw_mutex_holder(void*) {
  pthread_mutex_lock(&owl_mutex);
  g_tids[1] = gettid();
  pthread_barrier_wait(&g_barrier);
  write_catalog(g_tids[0]);
  return nullptr;
}

void* orphan_owner(void*) {
  pthread_mutex_lock(&orphan_mutex);
  g_partner = gettid();
  return nullptr;  // exits holding it
}

void* orphan_waiter(void*) {
  wait_for_orphan(g_partner.load());
  return nullptr;
}

pthread_mutex_t g_idle_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_idle_cv = PTHREAD_COND_INITIALIZER;

void* idle_worker(void*) {
  pthread_mutex_lock(&g_idle_mu);
  about_to_block({gettid(), {"idle_worker"}, {SYS_futex}});
  while (true) pthread_cond_wait(&g_idle_cv, &g_idle_mu);
  return nullptr;
}

void* contended_holder(void*) {
  pthread_mutex_lock(&contended_mu);
  g_partner = gettid();
  about_to_block({gettid(), {"contended_holder"}, {SYS_read}});
  char byte;
  while (true)
    if (read(g_idle_pipe[0], &byte, 1) < 0) continue;
  return nullptr;
}

void* contended_waiter(void*) {
  while (g_partner.load() == 0) usleep(1000);
  wait_for_contended(g_partner.load());
  return nullptr;
}

void start(void* (*fn)(void*), void* arg = nullptr) {
  pthread_t t;
  if (pthread_create(&t, nullptr, fn, arg) != 0) target_common::die("pthread_create");
  pthread_detach(t);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) target_common::die("usage: lock_deadlock <ready_fd> <truth_path> <mode>");
  int ready_fd = std::atoi(argv[1]);
  std::string truth_path = argv[2];
  std::string mode = argv[3];
  if (pipe(g_idle_pipe) != 0) target_common::die("pipe");
  size_t blocked = 0;
  static Step steps[3];
  if (mode == "abba" || mode == "cycle3") {
    size_t n = mode == "abba" ? 2 : 3;
    pthread_mutex_t* order[3] = {&owl_mutex, &inventory_mu, &ledger_mu};
    const char* names[3] = {"owl_mutex", "inventory_mu", "ledger_mu"};
    pthread_barrier_init(&g_barrier, nullptr, static_cast<unsigned>(n));
    for (size_t i = 0; i < n; ++i) {
      steps[i] = {order[i], order[(i + 1) % n], names[(i + 1) % n], &g_tids, i, n};
      start(cycle_thread, &steps[i]);
    }
    blocked = n;
  } else if (mode == "stdmutex") {
    pthread_barrier_init(&g_barrier, nullptr, 2);
    start(alpha_then_beta);
    start(beta_then_alpha);
    blocked = 2;
  } else if (mode == "rwlock") {
    pthread_barrier_init(&g_barrier, nullptr, 2);
    start(rw_writer);
    start(rw_mutex_holder);
    blocked = 2;
  } else if (mode == "abandoned") {
    pthread_t t;
    pthread_create(&t, nullptr, orphan_owner, nullptr);
    pthread_join(t, nullptr);
    start(orphan_waiter);
    blocked = 1;
  } else if (mode == "healthy") {
    for (int i = 0; i < 3; ++i) start(idle_worker);
    start(contended_holder);
    start(contended_waiter);
    blocked = 5;
  } else {
    target_common::die("unknown mode " + mode);
  }
  auto threads = target_common::wait_for_threads(blocked);
  target_common::wait_until_blocked(threads);
  target_common::write_truth(truth_path + ".base", threads);
  {
    std::ifstream base(truth_path + ".base");
    std::ofstream out(truth_path + ".tmp");
    out << base.rdbuf();
    pthread_mutex_lock(&g_truth_mu);
    for (const Wait& w : g_waits) {
      char addr[32];
      std::snprintf(addr, sizeof addr, "%lx", reinterpret_cast<unsigned long>(w.lock));
      out << "wait " << w.waiter << " " << w.holder << " " << addr << " " << w.name << " "
          << w.function << "\n";
    }
    pthread_mutex_unlock(&g_truth_mu);
    if (!out.flush()) target_common::die("cannot write truth");
  }
  std::rename((truth_path + ".tmp").c_str(), truth_path.c_str());
  target_common::signal_ready(ready_fd);
  while (true) pause();
}
