#pragma once
// The sampler's output model: every sample of a recording, with frames,
// stacks, threads and task names interned once. The sampler fills it; the
// profile writers (folded, flamegraph SVG, speedscope, pprof, Chrome trace)
// and `top` read it. Knows nothing about how samples were taken or printed.
//
// Everything textual here came from the target (function, file, module,
// thread and task names): writers must escape it for their format.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace corostack::sample {

// What a frame stands for; writers colour by it.
enum class ProfileFrameKind : uint8_t {
  kPython,   // a Python function: name = qualified name, file, line
  kNative,   // a native function: name = demangled symbol (or "0x..."), module
  kKernel,   // the system call a thread is blocked in: name = "syscall:epoll_wait"
  kIdle,     // a synthetic leaf for idle samples (--idle): name = "<idle>"
  kGc,       // a synthetic leaf: the thread runs the garbage collector: name = "<gc>"
  kTask,     // an asyncio task as root frame (--async): name = task name
  kThread,   // a thread as root frame (--threads): name = "thread 1234 (name)"
  kProcess,  // a process as root frame (--subprocesses): name = "process 1234 (cmd)"
  // Where a thread's stack passes into another interpreter's frames (only
  // when the process has several): name = "interpreter 2".
  kInterpreter,
};

const char* frame_kind_name(ProfileFrameKind kind);  // "python", "native", ...

struct ProfileFrame {
  ProfileFrameKind kind = ProfileFrameKind::kPython;
  std::string name;
  std::string file;    // Python: co_filename; native: source file when known
  int line = 0;        // 0: unknown (or not wanted: aggregation by function)
  std::string module;  // native: the ELF it is in

  bool operator==(const ProfileFrame&) const = default;
};

struct ProfileThread {
  pid_t pid = 0;
  pid_t tid = 0;
  std::string name;  // threading's name for Python threads, else comm

  bool operator==(const ProfileThread&) const = default;
};

// One observation of one thread (or task) at one moment.
struct Sample {
  uint64_t time_ns = 0;  // since Profile::start_unix_ns
  uint32_t stack = 0;    // index into Profile::stacks
  uint32_t thread = 0;   // index into Profile::threads
  int32_t task = -1;     // index into Profile::tasks, -1: not attributed to a task
  bool idle = false;     // the thread was not running (blocked, sleeping)
  bool holds_gil = false;
};

class Profile {
 public:
  // Interning: equal values get equal indices.
  uint32_t intern_frame(const ProfileFrame& frame);
  // Frame indices root (outermost) first, leaf last.
  uint32_t intern_stack(const std::vector<uint32_t>& frames_root_first);
  uint32_t intern_thread(const ProfileThread& thread);
  uint32_t intern_task(const std::string& name);
  void add(const Sample& s) { samples.push_back(s); }

  std::vector<ProfileFrame> frames;
  std::vector<std::vector<uint32_t>> stacks;  // root first
  std::vector<ProfileThread> threads;
  std::vector<std::string> tasks;
  std::vector<Sample> samples;  // in time order

  // About the recording.
  pid_t pid = 0;
  std::string command;         // the target's command line (or comm)
  uint64_t start_unix_ns = 0;  // wall clock at the first sample
  uint64_t duration_ns = 0;    // from start to the end of recording
  double rate_hz = 100;        // requested
  uint64_t interval_ns() const { return rate_hz > 0 ? uint64_t(1e9 / rate_hz) : 0; }
  // True when idle samples were kept (--idle): the weight is wall time;
  // otherwise only running samples are kept and the weight is CPU time.
  bool wall_time = false;
  uint64_t sample_errors = 0;  // samples (of a thread) that could not be read
  uint64_t samples_taken = 0;  // sampling rounds taken
  uint64_t rounds_late = 0;    // rounds that started after their due time

 private:
  struct FrameHash {
    size_t operator()(const ProfileFrame& f) const;
  };
  struct StackHash {
    size_t operator()(const std::vector<uint32_t>& s) const;
  };
  std::unordered_map<ProfileFrame, uint32_t, FrameHash> frame_ids_;
  std::unordered_map<std::vector<uint32_t>, uint32_t, StackHash> stack_ids_;
  std::unordered_map<std::string, uint32_t> task_ids_;
};

}  // namespace corostack::sample
