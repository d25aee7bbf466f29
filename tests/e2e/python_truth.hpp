#pragma once
// The truth tests/targets/python/py_threads.py writes about itself (JSON; the
// format is described at the top of that script).
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace e2e {

struct PyTruthFrame {
  std::string file;                     // absolute path
  std::string co_filename;              // as the code object has it
  std::string func;                     // co_name
  std::optional<std::string> qualname;  // co_qualname, 3.11+
  std::optional<int> line;              // null only for the spinner's spin frame
  // 3.11+: co_positions() of the executing instruction: line, end line,
  // column, end column (the last three may be null).
  std::optional<std::vector<std::optional<int>>> position;
  int first_line = 0;  // spin frame: the lines it may be on
  int last_line = 0;
};

struct PyTruthThread {
  std::string name;  // threading name
  std::string comm;  // kernel thread name (set to the threading name, cut to 15 bytes)
  pid_t tid = 0;
  uint64_t ident = 0;  // threading ident (pthread_t)
  bool is_main = false;
  bool spinning = false;             // frames then hold only the stable outer frames
  std::optional<std::string> state;  // /proc state when the truth was taken
  std::optional<int> syscall;        // syscall it slept in then, when known
  std::vector<PyTruthFrame> frames;  // innermost first
  std::optional<PyTruthFrame> spin_frame;
  std::map<std::string, std::string> locals;       // of the innermost frame in the script: repr
  std::map<std::string, std::string> local_types;  // type(value).__name__
};

struct PyTruth {
  pid_t pid = 0;
  std::string python;  // "3.11.7"
  std::vector<int> version_info;
  std::string executable;
  std::string script;
  bool abort_after_ready = false;
  std::vector<PyTruthThread> threads;
  std::vector<pid_t> native_threads;  // started by C code: no Python thread state

  const PyTruthThread* thread(const std::string& name) const;
};

// Throw std::runtime_error on malformed input.
PyTruth parse_python_truth(const std::string& text);
PyTruth read_python_truth(const std::filesystem::path& path);

}  // namespace e2e
