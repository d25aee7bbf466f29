#include "truth.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace e2e {
namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream ss(text);
  for (std::string part; std::getline(ss, part, sep);) parts.push_back(part);
  return parts;
}

pid_t parse_pid(const std::string& text, const std::string& line) {
  size_t used = 0;
  long value = -1;
  try {
    value = std::stol(text, &used);
  } catch (const std::exception&) {
  }
  if (value <= 0 || used != text.size()) throw std::runtime_error("truth: bad id in: " + line);
  return static_cast<pid_t>(value);
}

}  // namespace

const TruthThread* Truth::thread(pid_t tid) const {
  for (const TruthThread& t : threads)
    if (t.tid == tid) return &t;
  return nullptr;
}

Truth parse_truth(const std::string& text) {
  Truth truth;
  for (const std::string& line : split(text, '\n')) {
    if (line.empty()) continue;
    size_t space = line.find(' ');
    std::string key = line.substr(0, space);
    std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
    if (key == "pid") {
      truth.pid = parse_pid(rest, line);
    } else if (key == "exe") {
      truth.exe = rest;
    } else if (key == "thread") {
      // thread <tid> <name> <chain>: the name may hold spaces, the chain cannot.
      size_t name_at = rest.find(' ');
      size_t chain_at = rest.rfind(' ');
      if (name_at == std::string::npos || chain_at == name_at)
        throw std::runtime_error("truth: bad thread line: " + line);
      TruthThread t;
      t.tid = parse_pid(rest.substr(0, name_at), line);
      t.name = rest.substr(name_at + 1, chain_at - name_at - 1);
      t.chain = split(rest.substr(chain_at + 1), ',');
      if (t.chain.empty()) throw std::runtime_error("truth: empty chain: " + line);
      truth.threads.push_back(std::move(t));
    } else {
      throw std::runtime_error("truth: unknown line: " + line);
    }
  }
  if (truth.pid == 0 || truth.exe.empty() || truth.threads.empty())
    throw std::runtime_error("truth: missing pid, exe or threads");
  return truth;
}

Truth read_truth(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("truth: cannot open " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_truth(ss.str());
}

}  // namespace e2e
