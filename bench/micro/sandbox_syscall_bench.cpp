// What the analysis sandbox's seccomp filter adds to each system call
// (target/sandbox.hpp): the filter runs on every call corostack makes. Each
// measurement runs in a fresh child (a filter cannot be removed), timing a
// batch of calls with and without it: process_vm_readv (the first rule, the
// hot call) and getppid (an allowed call deep in the list).
#include <benchmark/benchmark.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "target/sandbox.hpp"

namespace {

constexpr long kCalls = 200'000;

double per_call_ns(bool sandboxed, long nr) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  pid_t child = ::fork();
  if (child == 0) {
    if (sandboxed && !corostack::enter_analysis_sandbox()) _exit(1);
    char src[64] = {}, dst[64];
    iovec local{dst, sizeof dst}, remote{src, sizeof src};
    pid_t self = ::getpid();
    auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < kCalls; ++i) {
      if (nr == SYS_process_vm_readv)
        benchmark::DoNotOptimize(::syscall(nr, self, &local, 1, &remote, 1, 0));
      else
        benchmark::DoNotOptimize(::syscall(nr));
    }
    double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
        kCalls;
    (void)!::write(fds[1], &ns, sizeof ns);
    _exit(0);
  }
  ::close(fds[1]);
  double ns = -1;
  (void)!::read(fds[0], &ns, sizeof ns);
  ::close(fds[0]);
  ::waitpid(child, nullptr, 0);
  return ns;
}

void run(benchmark::State& state, bool sandboxed, long nr) {
  for (auto _ : state) {
    double ns = per_call_ns(sandboxed, nr);
    if (ns < 0) state.SkipWithError("child failed");
    state.SetIterationTime(ns * 1e-9);
  }
}

void BM_ProcessVmReadv_NoSandbox(benchmark::State& s) {
  run(s, false, SYS_process_vm_readv);
}
void BM_ProcessVmReadv_Sandbox(benchmark::State& s) {
  run(s, true, SYS_process_vm_readv);
}
void BM_Getppid_NoSandbox(benchmark::State& s) {
  run(s, false, SYS_getppid);
}
void BM_Getppid_Sandbox(benchmark::State& s) {
  run(s, true, SYS_getppid);
}

BENCHMARK(BM_ProcessVmReadv_NoSandbox)->UseManualTime()->Iterations(5);
BENCHMARK(BM_ProcessVmReadv_Sandbox)->UseManualTime()->Iterations(5);
BENCHMARK(BM_Getppid_NoSandbox)->UseManualTime()->Iterations(5);
BENCHMARK(BM_Getppid_Sandbox)->UseManualTime()->Iterations(5);

}  // namespace
