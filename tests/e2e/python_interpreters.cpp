#include "python_interpreters.hpp"

#include <elf.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "run_command.hpp"

namespace e2e {
namespace {

namespace fs = std::filesystem;

// Prints version, sys.executable, the libpython mapped into the process
// (empty line when none) and 1 for a free-threaded build, one a line; valid
// on 2.7 and 3.x.
constexpr const char* kProbe =
    "import sys, sysconfig\n"
    "libs = [l.split()[-1] for l in open('/proc/self/maps') if 'libpython' in l]\n"
    "ft = sysconfig.get_config_var('Py_GIL_DISABLED') or 0\n"
    "sys.stdout.write('%d.%d.%d\\n%s\\n%s\\n%d\\n' % (tuple(sys.version_info[:3]) + "
    "(sys.executable, libs[0] if libs else '', ft)))\n";

std::vector<int> version_key(const std::string& version) {
  std::vector<int> key;
  std::stringstream ss(version);
  for (std::string part; std::getline(ss, part, '.');) {
    try {
      key.push_back(std::stoi(part));
    } catch (const std::exception&) {
      key.push_back(-1);
    }
  }
  return key;
}

std::string to_name(std::string text) {
  for (char& c : text)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return text;
}

template <typename Shdr, typename Ehdr>
bool has_section(std::ifstream& in, const std::string& path, const std::string& name) {
  Ehdr eh;
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(&eh), sizeof eh))
    throw std::runtime_error(path + ": short ELF header");
  if (eh.e_shoff == 0 || eh.e_shnum == 0) return false;
  if (eh.e_shentsize != sizeof(Shdr)) throw std::runtime_error(path + ": odd e_shentsize");
  std::vector<Shdr> sections(eh.e_shnum);
  in.seekg(static_cast<std::streamoff>(eh.e_shoff));
  if (!in.read(reinterpret_cast<char*>(sections.data()),
               static_cast<std::streamsize>(sections.size() * sizeof(Shdr))))
    throw std::runtime_error(path + ": short section headers");
  if (eh.e_shstrndx >= sections.size()) throw std::runtime_error(path + ": bad e_shstrndx");
  const Shdr& strtab = sections[eh.e_shstrndx];
  std::string names(strtab.sh_size, '\0');
  in.seekg(static_cast<std::streamoff>(strtab.sh_offset));
  if (!in.read(names.data(), static_cast<std::streamsize>(names.size())))
    throw std::runtime_error(path + ": short section name table");
  for (const Shdr& s : sections) {
    if (s.sh_name < names.size() && std::strcmp(names.c_str() + s.sh_name, name.c_str()) == 0)
      return true;
  }
  return false;
}

void add_candidate(const fs::path& path, bool is_pyenv, std::string name, std::set<fs::path>* seen,
                   std::vector<PythonInterpreter>* out) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return;
  fs::path real = fs::canonical(path, ec);
  if (ec || !seen->insert(real).second) return;
  PythonInterpreter p;
  p.path = path.string();
  p.name = to_name(name);
  p.is_pyenv = is_pyenv;
  out->push_back(p);
}

}  // namespace

bool elf_has_section(const std::string& path, const std::string& section_name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  unsigned char ident[EI_NIDENT];
  if (!in.read(reinterpret_cast<char*>(ident), sizeof ident) ||
      std::memcmp(ident, ELFMAG, SELFMAG) != 0)
    throw std::runtime_error(path + ": not an ELF file");
  if (ident[EI_DATA] != ELFDATA2LSB) throw std::runtime_error(path + ": not little-endian");
  if (ident[EI_CLASS] == ELFCLASS64)
    return has_section<Elf64_Shdr, Elf64_Ehdr>(in, path, section_name);
  if (ident[EI_CLASS] == ELFCLASS32)
    return has_section<Elf32_Shdr, Elf32_Ehdr>(in, path, section_name);
  throw std::runtime_error(path + ": unknown ELF class");
}

std::vector<PythonInterpreter> find_python_interpreter_paths() {
  std::vector<PythonInterpreter> found;
  std::set<fs::path> seen;

  std::vector<fs::path> homes;
  if (const char* home = std::getenv("HOME"); home && *home) homes.emplace_back(home);
  homes.emplace_back("/root");
  std::vector<std::pair<std::vector<int>, fs::path>> pyenv;
  for (const fs::path& home : homes) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(home / ".pyenv" / "versions", ec)) {
      fs::path python = entry.path() / "bin" / "python";
      if (fs::exists(python, ec))
        pyenv.emplace_back(version_key(entry.path().filename().string()), python);
    }
  }
  std::sort(pyenv.begin(), pyenv.end());
  for (const auto& [key, python] : pyenv)
    add_candidate(python, true, "pyenv_" + python.parent_path().parent_path().filename().string(),
                  &seen, &found);

  static const std::regex system_name(R"(python3\.\d+)");
  std::vector<std::pair<std::vector<int>, fs::path>> system;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/bin", ec)) {
    std::string file = entry.path().filename().string();
    if (std::regex_match(file, system_name))  // not -config, -dbg, python3.11d, ...
      system.emplace_back(version_key(file.substr(6)), entry.path());
  }
  std::sort(system.begin(), system.end());
  for (const auto& [key, python] : system)
    add_candidate(python, false, "usr_bin_" + python.filename().string(), &seen, &found);
  return found;
}

void probe_python_interpreter(PythonInterpreter* p) {
  p->probed = true;
  CommandResult r = run_command({p->path, "-c", kProbe}, std::chrono::seconds(20));
  if (!r.ok()) {
    p->probe_error = r.describe();
    return;
  }
  std::vector<std::string> lines;
  std::stringstream ss(r.out);
  for (std::string line; std::getline(ss, line);) lines.push_back(line);
  static const std::regex version_re(R"((\d+)\.(\d+)\.(\d+))");
  std::smatch m;
  if (lines.size() < 2 || !std::regex_match(lines[0], m, version_re)) {
    p->probe_error = "unexpected probe output: " + r.out;
    return;
  }
  p->version = lines[0];
  p->major = std::stoi(m[1]);
  p->minor = std::stoi(m[2]);
  p->executable = lines[1];
  p->runtime_binary = lines.size() > 2 && !lines[2].empty() ? lines[2] : p->executable;
  p->free_threaded = lines.size() > 3 && lines[3] == "1";
  try {
    p->is_stripped = !elf_has_section(p->runtime_binary, ".symtab");
  } catch (const std::exception& e) {
    p->probe_error = e.what();
  }
}

std::vector<PythonInterpreter> find_python_interpreters() {
  std::vector<PythonInterpreter> found = find_python_interpreter_paths();
  for (PythonInterpreter& p : found) probe_python_interpreter(&p);
  return found;
}

std::string describe_coverage(const std::vector<PythonInterpreter>& interpreters) {
  std::string covered = "python coverage:";
  std::set<std::tuple<int, int, bool>> minors;
  for (const PythonInterpreter& p : interpreters) {
    if (!p.probe_error.empty()) {
      covered += " " + p.path + "(BROKEN)";
      continue;
    }
    minors.insert({p.major, p.minor, p.free_threaded});
    std::string version = p.version + (p.free_threaded ? "t" : "");
    if (p.is_pyenv) {
      covered += " " + version;
    } else {
      covered += " " + p.path + "(" + version + ")";
    }
    if (p.is_stripped) covered += "[stripped]";
  }
  if (interpreters.empty()) covered += " NONE";
  std::string skipped;
  std::vector<std::tuple<int, int, bool>> wanted{{2, 7, false}};
  for (int minor = 6; minor <= 14; ++minor) wanted.push_back({3, minor, false});
  wanted.push_back({3, 14, true});
  for (const auto& [major, minor, ft] : wanted) {
    if (!minors.count({major, minor, ft}))
      skipped += " " + std::to_string(major) + "." + std::to_string(minor) + (ft ? "t" : "");
  }
  std::string text = covered + "\n";
  if (!skipped.empty())
    text += "python coverage: SKIPPED, no interpreter found for:" + skipped + "\n";
  return text;
}

}  // namespace e2e
