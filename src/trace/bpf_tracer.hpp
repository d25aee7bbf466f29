#pragma once
// corostack trace's in-kernel backend: an eBPF program on the raw syscall
// tracepoints (src/trace/bpf/syscall_trace.bpf.c) sees every call of the
// traced processes without stopping them. It either sums calls per number in
// the kernel (count_only: strace -c -w, nothing crosses to user space per
// call) or sends one record per finished call, with copies of the pointer
// arguments the decoders need, through a ring buffer.
//
// What it cannot do that ptrace can: memory is copied when the call returns
// (input buffers included, so a buffer the kernel changed reads as it is
// afterwards; execve's path is gone after a successful execve), a page that
// is not resident cannot be copied, and nothing is stopped, so records of a
// process that runs faster than we read are dropped (counted by dropped()).
//
// Programs and maps live only as long as our file descriptors: destroying the
// tracer, or our process dying in any way, detaches everything.
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "trace/copied_memory.hpp"

namespace corostack::trace {

struct BpfSyscallRecord {
  pid_t tid = 0;
  pid_t tgid = 0;
  int64_t nr = -1;
  std::array<uint64_t, 6> args{};
  int64_t ret = 0;
  uint64_t enter_ns = 0;  // CLOCK_MONOTONIC (bpf_ktime_get_ns); 0 with entered_before_trace
  uint64_t exit_ns = 0;
  // The call was already running when tracing began: no entry was seen, the
  // arguments are the registers at return (which the kernel leaves intact).
  bool entered_before_trace = false;
  // The thread left inside the call (exit_group, exit, killed while blocked):
  // there is no return value; strace prints "= ?".
  bool exited_in_call = false;
  std::vector<BpfCopy> copies;  // in copy-spec order; a failed copy has no bytes
  // accept, accept4, getsockname, getpeername: *addrlen at entry, before the
  // kernel wrote the length it returns (the copies hold that one).
  std::optional<uint32_t> entry_len;
};

struct BpfCallStats {
  uint64_t calls = 0;
  uint64_t errors = 0;  // returns in [-4095, -1]
  uint64_t total_ns = 0;
  uint64_t min_ns = 0;
  uint64_t max_ns = 0;
};

// Which pointer argument of a call to copy, and how many bytes.
struct BpfCopySpec {
  enum Kind : uint8_t {
    kNone = 0,
    kString = 1,  // NUL-terminated string at args[arg] (the NUL is copied when found)
    kLenArg = 2,  // args[len_arg] bytes at args[arg]: write's data, connect's sockaddr
    kLenRet = 3,  // ret bytes when ret > 0: read's data
    kFixed = 4,   // `fixed` bytes: struct stat, struct timespec, pipe's int[2]
  };
  // kLenArg and kLenRet: when set, the count is of elements this size
  // (poll's struct pollfd, epoll_wait's struct epoll_event).
  int arg = 0;
  Kind kind = kNone;
  int len_arg = -1;
  uint32_t fixed = 0;
};

// The kernel copies at most this many pointer arguments per call and this
// many bytes per argument.
inline constexpr size_t kBpfMaxCopies = 2;
inline constexpr uint32_t kBpfMaxCopyBytes = 4096;
// Call numbers the in-kernel per-number maps cover (every x86-64 call).
inline constexpr int64_t kBpfMaxNr = 512;

struct BpfTraceOptions {
  pid_t tgid = 0;             // the process to trace (all its threads)
  bool follow_forks = false;  // -f: also every process it forks from now on
  bool count_only = false;    // -c: per-number totals only (stats()); poll() delivers nothing
  // Index = call number; empty = all. Numbers past the vector are traced
  // when trace_unknown (x32 calls and numbers the table does not know).
  std::vector<bool> traced_nrs;
  bool trace_unknown = true;
  uint32_t copy_limit = 256;  // bytes per copied argument, at most kBpfMaxCopyBytes
  // Copy specs per call number, at most kBpfMaxCopies each; empty: default_bpf_copy_specs.
  std::function<std::vector<BpfCopySpec>(int64_t nr)> copy_specs;
  uint32_t ring_bytes = 16u << 20;  // ring buffer size (rounded up to a power of two)
};

// The copies the decoders need for common calls: paths, write/read data,
// sockaddrs, struct stat, timespecs. Empty for calls without pointer arguments.
std::vector<BpfCopySpec> default_bpf_copy_specs(int64_t nr);

// Whether open() can work here, without loading anything: built with eBPF,
// the kernel has BTF, and we have root or CAP_BPF+CAP_PERFMON (or
// CAP_SYS_ADMIN). When not, *why says what is missing.
bool bpf_supported(std::string* why);

class BpfTracer {
 public:
  // Loads, seeds and attaches. Errors say why: kPermission (needs root or
  // CAP_BPF+CAP_PERFMON), kUnsupported (no BTF, built without eBPF support,
  // the kernel refused the program: with libbpf's log), kNotFound (no such pid).
  static Result<std::unique_ptr<BpfTracer>> open(const BpfTraceOptions& options);
  ~BpfTracer();
  BpfTracer(const BpfTracer&) = delete;
  BpfTracer& operator=(const BpfTracer&) = delete;

  // Delivers finished calls until timeout_ms elapses or one batch was
  // consumed; returns how many were delivered. An exception thrown by
  // on_record propagates after the ring buffer is left consistent.
  Result<int> poll(int timeout_ms, const std::function<void(const BpfSyscallRecord&)>& on_record);

  // count_only totals, per call number, for numbers called at least once.
  std::vector<std::pair<int64_t, BpfCallStats>> stats() const;

  // Calls entered and not yet returned (for "<unfinished ...>" at the end).
  // No copies: the caller may read the live process instead.
  std::vector<BpfSyscallRecord> in_flight() const;

  // Records lost: ring buffer full, runs the kernel skipped (a program never
  // nests on one CPU), forked processes past the table's capacity.
  uint64_t dropped() const;

  // The kernel's ids of our programs, while we live (for tests and diagnostics).
  std::vector<uint32_t> program_ids() const;

  struct Impl;

 private:
  explicit BpfTracer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace corostack::trace
