#include "asyncio_truth.hpp"

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

AsyncTruthFrame parse_frame(const json& j) {
  AsyncTruthFrame f;
  f.file = j.at("file").get<std::string>();
  f.co_filename = optional_field<std::string>(j, "co_filename").value_or(f.file);
  f.func = j.at("func").get<std::string>();
  f.qualname = optional_field<std::string>(j, "qualname");
  f.line = j.at("line").get<int>();
  return f;
}

AsyncTruthTask parse_task(const json& j) {
  AsyncTruthTask t;
  t.name = j.at("name").get<std::string>();
  t.id = j.at("id").get<uint64_t>();
  t.loop = j.at("loop").get<std::string>();
  t.state = j.at("state").get<std::string>();
  if (t.state != "pending" && t.state != "done" && t.state != "cancelled")
    throw std::runtime_error("asyncio truth: task " + t.name + ": bad state " + t.state);
  t.c_task = j.at("c_task").get<bool>();
  t.running = j.at("running").get<bool>();
  for (const json& f : j.at("stack")) t.stack.push_back(parse_frame(f));
  const json& awaits = j.at("awaits");
  t.awaits_kind = awaits.at("kind").get<std::string>();
  if (t.awaits_kind != "task" && t.awaits_kind != "future" && t.awaits_kind != "none" &&
      t.awaits_kind != "other")
    throw std::runtime_error("asyncio truth: task " + t.name + ": bad awaits kind " +
                             t.awaits_kind);
  t.awaits_type = optional_field<std::string>(awaits, "type").value_or("NoneType");
  t.awaits_task = optional_field<std::string>(awaits, "task");
  return t;
}

AsyncTruthEdge parse_edge(const json& j) {
  AsyncTruthEdge e;
  e.child = j.at("child").get<std::string>();
  e.parent = j.at("parent").get<std::string>();
  e.via = j.at("via").get<std::string>();
  return e;
}

AsyncTruthThread parse_thread(const json& j) {
  AsyncTruthThread t;
  t.name = j.at("name").get<std::string>();
  t.ident = j.at("ident").get<uint64_t>();
  t.tid = j.at("tid").get<pid_t>();
  t.loop = optional_field<std::string>(j, "loop");
  return t;
}

AsyncTruthLoop parse_loop(const json& j) {
  AsyncTruthLoop l;
  l.name = j.at("name").get<std::string>();
  l.id = j.at("id").get<uint64_t>();
  l.thread_ident = j.at("thread_ident").get<uint64_t>();
  l.current_task = optional_field<std::string>(j, "current_task");
  return l;
}

AsyncTruthCoroutine parse_coroutine(const json& j) {
  AsyncTruthCoroutine c;
  c.id = j.at("id").get<uint64_t>();
  c.qualname = j.at("qualname").get<std::string>();
  return c;
}

}  // namespace

const AsyncTruthTask* AsyncTruth::task(const std::string& name) const {
  for (const AsyncTruthTask& t : tasks)
    if (t.name == name) return &t;
  return nullptr;
}

AsyncTruth parse_asyncio_truth(const std::string& text) {
  try {
    json j = json::parse(text);
    AsyncTruth truth;
    truth.pid = j.at("pid").get<pid_t>();
    truth.python = j.at("python").get<std::string>();
    truth.version_info = j.at("version_info").get<std::vector<int>>();
    truth.executable = j.at("executable").get<std::string>();
    truth.script = j.at("script").get<std::string>();
    for (const json& t : j.at("threads")) truth.threads.push_back(parse_thread(t));
    for (const json& l : j.at("loops")) truth.loops.push_back(parse_loop(l));
    for (const json& t : j.at("tasks")) truth.tasks.push_back(parse_task(t));
    for (const json& e : j.at("edges")) truth.edges.push_back(parse_edge(e));
    truth.cycles = j.at("cycles").get<std::vector<std::vector<std::string>>>();
    for (const json& c : j.at("unawaited")) truth.unawaited.push_back(parse_coroutine(c));
    truth.many = j.at("many").get<int>();
    return truth;
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("asyncio truth: ") + e.what());
  }
}

AsyncTruth read_asyncio_truth(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("asyncio truth: cannot open " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_asyncio_truth(ss.str());
}

}  // namespace e2e
