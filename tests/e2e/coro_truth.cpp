#include "coro_truth.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace e2e {
namespace {

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

uint64_t parse_addr(const std::string& text, const std::string& line) {
  if (text.rfind("0x", 0) != 0) throw std::runtime_error("coro truth: bad address in: " + line);
  size_t used = 0;
  uint64_t value = 0;
  try {
    value = std::stoull(text.substr(2), &used, 16);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() - 2)
    throw std::runtime_error("coro truth: bad address in: " + line);
  return value;
}

long parse_number(const std::string& text, const std::string& line) {
  size_t used = 0;
  long value = 0;
  try {
    value = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size())
    throw std::runtime_error("coro truth: bad number in: " + line);
  return value;
}

// frame <addr> <function> <state> <line> key=value ... label=<rest>
CoroFrameTruth parse_frame(const std::string& rest, const std::string& line) {
  size_t label_at = rest.find(" label=");
  if (label_at == std::string::npos) throw std::runtime_error("coro truth: no label in: " + line);
  std::vector<std::string> words = split_words(rest.substr(0, label_at));
  if (words.size() < 4) throw std::runtime_error("coro truth: short frame line: " + line);
  CoroFrameTruth f;
  f.addr = parse_addr(words[0], line);
  f.function = words[1];
  f.state = words[2];
  if (f.state != "suspended" && f.state != "not_started" && f.state != "done" &&
      f.state != "running")
    throw std::runtime_error("coro truth: bad state in: " + line);
  f.line = static_cast<int>(parse_number(words[3], line));
  f.label = rest.substr(label_at + 7);
  bool seen_promise = false;
  bool seen_cont = false;
  bool seen_id = false;
  for (size_t i = 4; i < words.size(); ++i) {
    size_t eq = words[i].find('=');
    if (eq == std::string::npos) throw std::runtime_error("coro truth: bad field in: " + line);
    std::string key = words[i].substr(0, eq);
    std::string value = words[i].substr(eq + 1);
    if (key == "file") {
      f.file = value;
    } else if (key == "decl") {
      f.decl_line = static_cast<int>(parse_number(value, line));
    } else if (key == "promise") {
      f.promise_addr = parse_addr(value, line);
      seen_promise = true;
    } else if (key == "promise_type") {
      f.promise_type = value;
    } else if (key == "promise_align") {
      f.promise_align = static_cast<size_t>(parse_number(value, line));
    } else if (key == "promise_size") {
      f.promise_size = static_cast<size_t>(parse_number(value, line));
    } else if (key == "cont") {
      if (value != "none") f.continuation = parse_addr(value, line);
      seen_cont = true;
    } else if (key == "id") {
      f.id = static_cast<int>(parse_number(value, line));
      seen_id = true;
    } else if (key == "tid") {
      f.tid = static_cast<pid_t>(parse_number(value, line));
    } else {
      throw std::runtime_error("coro truth: unknown field " + key + " in: " + line);
    }
  }
  if (!seen_promise || !seen_cont || !seen_id)
    throw std::runtime_error("coro truth: frame without promise, cont or id: " + line);
  return f;
}

std::vector<uint64_t> parse_addrs(const std::string& rest, const std::string& line) {
  std::vector<uint64_t> addrs;
  for (const std::string& w : split_words(rest)) addrs.push_back(parse_addr(w, line));
  return addrs;
}

}  // namespace

const CoroFrameTruth* CoroTruth::frame(uint64_t addr) const {
  for (const CoroFrameTruth& f : frames)
    if (f.addr == addr) return &f;
  return nullptr;
}

const CoroFrameTruth* CoroTruth::frame_by_id(int id) const {
  for (const CoroFrameTruth& f : frames)
    if (f.id == id) return &f;
  return nullptr;
}

const std::vector<uint64_t>* CoroTruth::chain_of(uint64_t addr, bool anywhere) const {
  for (const std::vector<uint64_t>& c : chains) {
    if (c.empty()) continue;
    if (c.front() == addr) return &c;
    if (anywhere)
      for (uint64_t a : c)
        if (a == addr) return &c;
  }
  return nullptr;
}

CoroTruth parse_coro_truth(const std::string& text) {
  CoroTruth truth;
  std::string standard;  // pid, exe and thread lines, for parse_truth
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    size_t space = line.find(' ');
    std::string key = line.substr(0, space);
    std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
    if (key == "pid" || key == "exe" || key == "thread") {
      standard += line + "\n";
    } else if (key == "source") {
      truth.source = rest;
    } else if (key == "compiler") {
      truth.compiler = rest;
    } else if (key == "optimized") {
      truth.optimized = parse_number(rest, line) != 0;
    } else if (key == "noop") {
      truth.noop = parse_addr(rest, line);
    } else if (key == "frame") {
      truth.frames.push_back(parse_frame(rest, line));
    } else if (key == "chain") {
      truth.chains.push_back(parse_addrs(rest, line));
      if (truth.chains.back().empty()) throw std::runtime_error("coro truth: empty chain");
    } else if (key == "parked") {
      truth.parked = parse_addrs(rest, line);
    } else {
      throw std::runtime_error("coro truth: unknown line: " + line);
    }
  }
  truth.process = parse_truth(standard);
  if (truth.source.empty() || truth.noop == 0 || truth.frames.empty())
    throw std::runtime_error("coro truth: no source, noop or frames");
  return truth;
}

CoroTruth read_coro_truth(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_coro_truth(ss.str());
}

std::vector<CoroBuild> coro_builds() {
  std::vector<CoroBuild> builds;
  for (const char* compiler : {"gcc", "clang14", "clang19", "clang22"}) {
    for (bool optimized : {false, true}) {
      CoroBuild b;
      b.compiler = compiler;
      b.optimized = optimized;
      b.name = b.compiler + (optimized ? "_O2" : "_O0");
      b.exe = std::filesystem::path(CORO_TARGETS_DIR) / ("coro_chain_" + b.name);
      b.exists = std::filesystem::is_regular_file(b.exe);
      builds.push_back(b);
    }
  }
  return builds;
}

testing::AssertionResult start_coro_target(const CoroBuild& build, const TempDir& dir,
                                           std::unique_ptr<TargetProcess>* target,
                                           CoroTruth* truth) {
  std::vector<std::string> argv{build.exe.string(), "{ready_fd}", (dir / "truth").string()};
  *target = std::make_unique<TargetProcess>(argv);
  testing::AssertionResult ready = (*target)->wait_ready();
  if (!ready) return ready;
  try {
    *truth = read_coro_truth(dir / "truth");
  } catch (const std::exception& e) {
    return testing::AssertionFailure() << e.what();
  }
  if (truth->process.pid != (*target)->pid())
    return testing::AssertionFailure()
           << "truth pid " << truth->process.pid << " != " << (*target)->pid();
  return testing::AssertionSuccess();
}

}  // namespace e2e
