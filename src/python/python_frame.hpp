#pragma once
// One Python frame as the walkers report it: function, file, line and,
// when asked for, its locals already rendered.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/remote_addr.hpp"

namespace corostack::python {

struct PyLocal {
  std::string name;
  std::string repr;
  bool argument = false;
};

struct PyFrame {
  RemoteAddr frame;      // PyFrameObject* (<=3.10) or _PyInterpreterFrame* (3.11+)
  std::string function;  // co_qualname where the version has it, else co_name
  std::string name;      // co_name
  std::string filename;  // co_filename
  int line = 0;          // 0 when the line table gives none
  // 3.11+: the executing expression's extent (PEP 657 positions): end line,
  // and start/end columns as UTF-8 byte offsets (end exclusive) when known.
  int end_line = 0;
  std::optional<int> column;
  std::optional<int> end_column;
  // The outermost Python frame of one C-level call of the eval loop: for
  // --native, each _PyEval_EvalFrameDefault frame runs the Python frames from
  // the previous entry (exclusive) up to this one.
  bool entry = false;
  // PyInterpreterState.id of the interpreter running it (0 = main); -1 where
  // the version has no ids (2.7, 3.6).
  int64_t interpreter = -1;
  std::vector<PyLocal> locals;
};

}  // namespace corostack::python
