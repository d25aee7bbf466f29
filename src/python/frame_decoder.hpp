#pragma once
// Decodes one Python frame (a PyFrameObject up to 3.10, an
// _PyInterpreterFrame from 3.11) into a PyFrame: code object, line from the
// line table, and optionally the locals. Shared by the thread walker and the
// asyncio walker (which reads the frames embedded in suspended coroutines).
#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/remote_addr.hpp"
#include "base/result.hpp"
#include "python/code_cache.hpp"
#include "python/object_repr.hpp"
#include "python/python_frame.hpp"
#include "python/python_locator.hpp"
#include "python/remote_object.hpp"

namespace corostack::python {

struct FrameDecodeOptions {
  bool locals = false;
  ReprOptions repr;
  // All locals' reprs decoded by one decoder together; past it locals show as "<not read: ...>".
  size_t max_locals_output = 4 << 20;
};

// Where an _PyInterpreterFrame is in its code.
struct InterpreterFramePosition {
  RemoteAddr code;
  uint64_t owner = 0;                // FRAME_OWNED_BY_*
  std::optional<int64_t> code_unit;  // index of the current instruction; nullopt: unknown
  bool started = true;               // false: the instruction pointer is before the code
};

class FrameDecoder {
 public:
  FrameDecoder(const PythonRuntime& rt, const RemoteObjects& ro, CodeCache& codes,
               const FrameDecodeOptions& options)
      : rt_(rt), ro_(ro), l_(ro.layout()), codes_(codes), opt_(options) {}

  // A frame from its code object and position: code_unit < 0 means not
  // started (the line is co_firstlineno, as CPython reports), nullopt unknown.
  Result<PyFrame> decode(RemoteAddr frame, RemoteAddr code, std::optional<int64_t> code_unit,
                         RemoteAddr localsplus);

  // A PyFrameObject (<=3.10).
  Result<PyFrame> frame_object(RemoteAddr frame);
  // The same from its f_code and f_lasti as read (by the kernel, for trace --py).
  Result<PyFrame> decode_lasti(RemoteAddr frame, RemoteAddr code, int32_t lasti,
                               RemoteAddr localsplus);

  // 3.11+: the position of an _PyInterpreterFrame.
  Result<InterpreterFramePosition> position(RemoteAddr iframe);
  // 3.11+: the same from the frame's fields as someone else read them (the
  // kernel, for trace --py): f_executable's bits, owner, the instruction
  // pointer (prev_instr on 3.11-3.12) and, on 3.14t, tlbc_index.
  Result<InterpreterFramePosition> position_of(uint64_t executable, uint64_t owner, RemoteAddr ip,
                                               std::optional<int32_t> tlbc_index);
  // 3.11+: an _PyInterpreterFrame; a frame not started yet gets its first line.
  Result<PyFrame> interpreter_frame(RemoteAddr iframe);

 private:
  // Where the running copy of the bytecode starts: co_code_adaptive, or on
  // 3.14t the per-thread copy tlbc_index names.
  std::optional<RemoteAddr> bytecode_start(RemoteAddr code, const CodeInfo& info,
                                           std::optional<int32_t> tlbc_index);
  void read_locals(const CodeInfo& code, RemoteAddr localsplus, PyFrame& f);

  const PythonRuntime& rt_;
  const RemoteObjects& ro_;
  const PythonLayout& l_;
  CodeCache& codes_;
  FrameDecodeOptions opt_;
  size_t locals_bytes_ = 0;  // reprs of locals so far, for max_locals_output
};

}  // namespace corostack::python
