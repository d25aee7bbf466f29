#include "python_truth.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace e2e {
namespace {

using nlohmann::json;

template <typename T>
std::optional<T> optional_field(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return it->get<T>();
}

PyTruthFrame parse_frame(const json& j) {
  PyTruthFrame f;
  f.file = j.at("file").get<std::string>();
  f.co_filename = j.at("co_filename").get<std::string>();
  f.func = j.at("func").get<std::string>();
  f.qualname = optional_field<std::string>(j, "qualname");
  f.line = optional_field<int>(j, "line");
  if (auto p = j.find("position"); p != j.end() && p->is_array()) {
    std::vector<std::optional<int>> v;
    for (const auto& x : *p)
      v.push_back(x.is_null() ? std::nullopt : std::optional<int>(x.get<int>()));
    f.position = v;
  }
  if (auto range = j.find("line_range"); range != j.end()) {
    f.first_line = range->at(0).get<int>();
    f.last_line = range->at(1).get<int>();
  }
  return f;
}

std::map<std::string, std::string> string_map(const json& j, const char* key) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : j.at(key).items()) out[k] = v.get<std::string>();
  return out;
}

PyTruthThread parse_thread(const json& j) {
  PyTruthThread t;
  t.name = j.at("name").get<std::string>();
  t.comm = j.at("comm").get<std::string>();
  t.tid = j.at("tid").get<pid_t>();
  t.ident = j.at("ident").get<uint64_t>();
  t.is_main = j.at("is_main").get<bool>();
  t.spinning = j.at("spinning").get<bool>();
  t.state = optional_field<std::string>(j, "state");
  t.syscall = optional_field<int>(j, "syscall");
  for (const json& f : j.at("frames")) t.frames.push_back(parse_frame(f));
  if (auto spin = j.find("spin_frame"); spin != j.end() && !spin->is_null())
    t.spin_frame = parse_frame(*spin);
  t.locals = string_map(j, "locals_of_innermost_own_frame");
  t.local_types = string_map(j, "local_types");
  return t;
}

}  // namespace

const PyTruthThread* PyTruth::thread(const std::string& name) const {
  for (const PyTruthThread& t : threads)
    if (t.name == name) return &t;
  return nullptr;
}

PyTruth parse_python_truth(const std::string& text) {
  try {
    json j = json::parse(text);
    PyTruth truth;
    truth.pid = j.at("pid").get<pid_t>();
    truth.python = j.at("python").get<std::string>();
    truth.version_info = j.at("version_info").get<std::vector<int>>();
    truth.executable = j.at("executable").get<std::string>();
    truth.script = j.at("script").get<std::string>();
    truth.abort_after_ready = j.at("abort_after_ready").get<bool>();
    for (const json& t : j.at("threads")) truth.threads.push_back(parse_thread(t));
    for (const json& t : j.at("native_threads")) truth.native_threads.push_back(t.at("tid"));
    return truth;
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("python truth: ") + e.what());
  }
}

PyTruth read_python_truth(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("python truth: cannot open " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_python_truth(ss.str());
}

}  // namespace e2e
