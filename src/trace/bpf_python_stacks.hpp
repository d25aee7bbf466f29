#pragma once
// --py on the in-kernel backend. The kernel walks the calling thread's frame
// list at each call's entry and keeps raw values only (code object,
// position, bytecode copy); this side tells the kernel where to look in each
// traced process (a BpfPythonLayout built from the same layout `dump` uses)
// and turns the raw frames into function, file and line with the same code
// cache. Nothing is stopped: code objects are read when the record arrives,
// a moment after the call (a function object freed in between reads as
// unreadable, never as another function: the code cache checks the type).
#include <sys/types.h>

#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "python/python_frame.hpp"
#include "python/python_layout.hpp"
#include "trace/bpf_tracer.hpp"

namespace corostack::trace {

struct LocatedPython;

// Where the kernel finds a thread's frames in a process running `layout`,
// whose first PyInterpreterState* is stored at `interp_head_slot`; nullopt
// when the layout lacks a field the walk needs.
std::optional<BpfPythonLayout> bpf_python_layout(const python::PythonLayout& layout,
                                                 uint64_t interp_head_slot);

class BpfPythonStacks {
 public:
  BpfPythonStacks();
  ~BpfPythonStacks();
  BpfPythonStacks(const BpfPythonStacks&) = delete;
  BpfPythonStacks& operator=(const BpfPythonStacks&) = delete;

  // Finds the interpreter of `tgid` (at most every 50 ms per process while
  // it fails: a command just started has none yet) and returns the layout
  // to give the kernel. kNotFound: no Python there (yet).
  Result<BpfPythonLayout> locate(pid_t tgid);
  // The frames one record carries, innermost first, as PyFrames. Frames
  // pushed but not started are dropped, as the walker drops them. The raw
  // code pointers whose objects were read go to *codes_read.
  Result<std::vector<python::PyFrame>> resolve(pid_t tgid, std::span<const BpfPyFrame> frames,
                                               std::vector<uint64_t>* codes_read);
  // The process exec'd or exited.
  void forget(pid_t tgid);

 private:
  struct Process;
  std::unordered_map<pid_t, std::unique_ptr<Process>> processes_;
};

}  // namespace corostack::trace
