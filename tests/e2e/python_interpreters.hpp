#pragma once
// The Python interpreters present on this machine, for the Python e2e tests:
// ~/.pyenv/versions/*/bin/python (for $HOME and /root) and /usr/bin/python3.X.
#include <ostream>
#include <string>
#include <vector>

namespace e2e {

struct PythonInterpreter {
  std::string path;  // as found, e.g. /root/.pyenv/versions/3.11.7/bin/python
  std::string name;  // for test names: "pyenv_3_11_7", "usr_bin_python3_11"
  bool is_pyenv = false;
  bool probed = false;  // the fields below are filled in by probe_python_interpreter
  std::string version;  // "3.11.7"
  int major = 0;
  int minor = 0;
  std::string executable;      // sys.executable
  std::string runtime_binary;  // the ELF file holding the interpreter: libpython*.so if
                               // the executable loads one, else the executable itself
  bool is_stripped = false;    // runtime_binary has no .symtab
  bool free_threaded = false;  // a --disable-gil build (3.13t+)
  std::string probe_error;     // why probing failed; empty on success
};

// For gtest's messages about parameterized tests.
inline void PrintTo(const PythonInterpreter& p, std::ostream* os) {
  *os << p.name << " " << p.path;
}

// Candidate interpreters by path alone (no process started), deduplicated by
// their resolved path, pyenv versions first in version order. Cheap: used to
// instantiate parameterized tests in every test process.
std::vector<PythonInterpreter> find_python_interpreter_paths();

// Runs the interpreter (bounded) to fill in its version, executable and
// runtime binary, and reads the ELF section headers for .symtab. Sets
// probe_error on failure.
void probe_python_interpreter(PythonInterpreter* interpreter);

// find_python_interpreter_paths(), each probed; those failing to probe are kept
// with probe_error set.
std::vector<PythonInterpreter> find_python_interpreters();

// Whether the ELF file at path has a section named section_name (e.g.
// ".symtab"). Throws std::runtime_error if it is not a readable ELF file.
bool elf_has_section(const std::string& path, const std::string& section_name);

// The report of covered and missing interpreters, e.g.
//   python coverage: 2.7.18 3.6.15 ... 3.13.0 /usr/bin/python3.11(3.11.2,stripped)
//   python coverage: SKIPPED (not found): 3.5
// Minor versions of 2.7, 3.6-3.14 and 3.14t with no interpreter are listed as skipped.
std::string describe_coverage(const std::vector<PythonInterpreter>& interpreters);

}  // namespace e2e
