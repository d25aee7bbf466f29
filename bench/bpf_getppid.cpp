// What the eBPF trace backend costs a traced process: 1,000,000 getppid()
// bare, then under BpfTracer in count_only mode (corostack trace -c over
// eBPF), then with one record per call sent to a consumer thread. Each
// figure is the best of several rounds (the least disturbed one), in ns per
// call. Needs root; prints why and exits 2 otherwise.
//
//   build/bench/bpf_getppid [calls] [rounds]
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "trace/bpf_tracer.hpp"

namespace {

using corostack::trace::BpfSyscallRecord;
using corostack::trace::BpfTraceOptions;
using corostack::trace::BpfTracer;

double ns_per_call(long calls) {
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < calls; ++i) syscall(SYS_getppid);
  std::chrono::duration<double, std::nano> spent = std::chrono::steady_clock::now() - start;
  return spent.count() / static_cast<double>(calls);
}

struct Figure {
  double best = 1e300;
  void add(double v) { best = std::min(best, v); }
};

}  // namespace

int main(int argc, char** argv) {
  long calls = argc > 1 ? std::atol(argv[1]) : 1'000'000;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 5;

  Figure bare, counted, recorded;
  uint64_t counted_calls = 0, received = 0, dropped = 0;
  for (int round = 0; round < rounds; ++round) {
    bare.add(ns_per_call(calls));

    BpfTraceOptions options;
    options.tgid = getpid();
    options.count_only = true;
    options.traced_nrs.assign(SYS_getppid + 1, false);
    options.traced_nrs[SYS_getppid] = true;
    options.trace_unknown = false;
    {
      auto tracer = BpfTracer::open(options);
      if (!tracer.ok()) {
        std::fprintf(stderr, "bpf_getppid: %s\n", tracer.error().message.c_str());
        return 2;
      }
      counted.add(ns_per_call(calls));
      for (const auto& [nr, s] : (*tracer)->stats())
        if (nr == SYS_getppid) counted_calls = s.calls;
    }

    // Record mode: a consumer thread drains the ring while this one calls.
    options.count_only = false;
    {
      auto tracer = BpfTracer::open(options);
      if (!tracer.ok()) {
        std::fprintf(stderr, "bpf_getppid: %s\n", tracer.error().message.c_str());
        return 2;
      }
      std::atomic<bool> done{false};
      uint64_t got = 0;
      std::thread consumer([&] {
        auto count = [&](const BpfSyscallRecord&) { ++got; };
        while (!done.load()) (void)(*tracer)->poll(10, count);
        while ((*tracer)->poll(0, count).value() > 0) {
        }
      });
      recorded.add(ns_per_call(calls));
      done = true;
      consumer.join();
      received = got;
      dropped = (*tracer)->dropped();
    }
  }
  std::printf("getppid x%ld, best of %d rounds\n", calls, rounds);
  std::printf("  bare                 %7.1f ns/call\n", bare.best);
  std::printf("  bpf count_only       %7.1f ns/call  %.2fx  (counted %llu)\n", counted.best,
              counted.best / bare.best, static_cast<unsigned long long>(counted_calls));
  std::printf(
      "  bpf records          %7.1f ns/call  %.2fx  (last round: %llu records, %llu dropped)\n",
      recorded.best, recorded.best / bare.best, static_cast<unsigned long long>(received),
      static_cast<unsigned long long>(dropped));
  return 0;
}
