#include "trace_support.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <thread>

namespace e2e {

Background::Background(std::vector<std::string> argv, std::chrono::milliseconds timeout)
    : result_(std::async(std::launch::async, [argv = std::move(argv), timeout] {
        return run_command(argv, timeout);
      })) {}

CommandResult Background::wait() {
  return result_.get();
}

namespace {

std::vector<pid_t> tids_of(pid_t pid) {
  std::vector<pid_t> tids;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') tids.push_back(std::atoi(e->d_name));
    ::closedir(d);
  }
  return tids;
}

std::string status_field(pid_t pid, pid_t tid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) {
      std::string v = line.substr(field.size() + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  return "";
}

}  // namespace

bool wait_traced(pid_t pid, std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    auto tids = tids_of(pid);
    bool all = !tids.empty();
    for (pid_t tid : tids)
      all = all && status_field(pid, tid, "TracerPid") != "0" &&
            !status_field(pid, tid, "TracerPid").empty();
    if (all) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

bool wait_for_text(const std::filesystem::path& file, const std::string& text,
                   std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    std::ifstream in(file);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (all.find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

std::string traced_or_stopped(pid_t pid) {
  std::string bad;
  for (pid_t tid : tids_of(pid)) {
    std::string tracer = status_field(pid, tid, "TracerPid");
    std::string state = status_field(pid, tid, "State");
    if ((!tracer.empty() && tracer != "0") || state.rfind("t", 0) == 0 || state.rfind("T", 0) == 0)
      bad += "thread " + std::to_string(tid) + " TracerPid " + tracer + " State " + state + "; ";
  }
  return bad;
}

bool send_go(const std::filesystem::path& go) {
  std::filesystem::path tmp = go.string() + ".tmp";
  { std::ofstream(tmp) << "go\n"; }
  std::error_code ec;
  std::filesystem::rename(tmp, go, ec);
  return !ec;
}

std::string normalize_trace_line(const std::string& line, pid_t pid) {
  static const std::regex leader(R"(^(\[pid +\d+\] |\d+ +))");
  static const std::regex address(R"(0x[0-9a-f]{6,})");
  static const std::regex inode(R"(:\[\d+(->\d+)?\])");
  static const std::regex duration(R"( <\d+\.\d+>$)");
  static const std::regex vars(R"(/\* \d+ vars \*/)");
  std::string s = std::regex_replace(line, leader, "");
  s = std::regex_replace(s, address, "0xADDR");
  s = std::regex_replace(s, inode, ":[INODE]");
  s = std::regex_replace(s, duration, "");
  s = std::regex_replace(s, vars, "/* N vars */");
  std::regex self("\\b" + std::to_string(pid) + "\\b");
  s = std::regex_replace(s, self, "PID");
  return s;
}

std::vector<std::string> read_lines(const std::filesystem::path& file) {
  std::vector<std::string> lines;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

}  // namespace e2e
