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

// --py: one Python frame as the kernel captured it at the call's entry, raw
// (python/bpf_python_frames turns it into function, file and line).
struct BpfPyFrame {
  uint64_t code = 0;        // f_code / f_executable as read (3.14: a tagged reference)
  uint64_t position = 0;    // f_lasti (<= 3.10, sign-extended) or the instruction pointer
  int32_t tlbc_index = -1;  // which per-thread bytecode copy runs (3.14t), -1: none
  uint8_t owner = 0;        // FRAME_OWNED_BY_* (3.11+)
};

// Why a record has no Python frames, or fewer than asked (ct_py_status).
enum class BpfPyStatus : uint8_t {
  kOk = 0,
  kNone = 1,      // not asked for, or the entry was not seen
  kNoLayout = 2,  // the process's interpreter is not known to the kernel (yet)
  kNoThread = 3,  // the thread has no thread state: not a Python thread
  kLost = 4,      // another thread's call took the slot before the exit
  kFault = 5,     // a read failed mid-walk: the frames before it are kept
};

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
  // --py: the thread's Python frames at entry, innermost first.
  std::vector<BpfPyFrame> python;
  BpfPyStatus python_status = BpfPyStatus::kNone;
};

// --py: where, in one traced process, the kernel finds the calling thread's
// Python frames (struct ct_py_layout). Offsets in bytes, -1 = absent.
struct BpfPythonLayout {
  enum Model : uint8_t { kFrameObjects = 1, kCFrame = 2, kCurrentFrame = 3 };
  uint64_t interp_head_slot = 0;  // address holding the first PyInterpreterState*
  Model model = kCurrentFrame;
  bool match_native_tid = true;  // else tstate.thread_id against the fs base (pthread_self)
  uint8_t shim_owner_min = 0;    // owner values from which a frame is a shim; 0 none
  uint8_t position_size = 8;     // 4: an int f_lasti; 8: an instruction pointer
  int16_t interp_next = -1, interp_threads_head = -1;
  int16_t tstate_next = -1, tstate_id = -1, tstate_frame = -1, tstate_cframe = -1;
  int16_t cframe_current_frame = -1;
  int16_t frame_previous = -1, frame_code = -1, frame_position = -1, frame_owner = -1,
          frame_tlbc_index = -1;
};
// The kernel captures at most this many Python frames per call.
inline constexpr size_t kBpfMaxPyFrames = 16;

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
// execve/execveat: copies read at entry (path, envp[], argv's strings and
// argv[]), after the ones above, at most kBpfMaxExecBytes bytes in all.
inline constexpr size_t kBpfMaxExecCopies = 35;
inline constexpr uint32_t kBpfMaxExecBytes = 4096;
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
  // --py: innermost Python frames captured per call, at most kBpfMaxPyFrames;
  // 0 none. Frames are captured only in processes given a set_python_layout.
  uint32_t python_depth = 0;
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

  // --py: from now on, calls of `tgid` carry their Python frames (forked
  // children inherit the layout in the kernel); forget_python after an exec.
  Status set_python_layout(pid_t tgid, const BpfPythonLayout& layout);
  void forget_python(pid_t tgid);
  // A code object user space has read: records with only known code objects
  // may wait for the next batch; one with a new one wakes the reader at once,
  // so it is read while the process still lives.
  void python_code_known(uint64_t code);

  // The kernel's ids of our programs, while we live (for tests and diagnostics).
  std::vector<uint32_t> program_ids() const;

  struct Impl;

 private:
  explicit BpfTracer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace corostack::trace
