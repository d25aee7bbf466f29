#include "process_state.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace e2e {

long tracer_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("TracerPid:", 0) == 0) return std::atol(line.c_str() + 10);
  return 0;
}

std::string traced_or_stopped_thread(pid_t pid) {
  std::error_code ec;
  for (const auto& ent :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(ent.path() / "status");
    std::string line, state;
    long tracer = 0;
    while (std::getline(in, line)) {
      if (line.rfind("State:", 0) == 0) state = line.substr(6);
      if (line.rfind("TracerPid:", 0) == 0) tracer = std::atol(line.c_str() + 10);
    }
    bool stopped = state.find('t') != std::string::npos || state.find('T') != std::string::npos;
    if (tracer != 0 || stopped)
      return "thread " + ent.path().filename().string() + " State:" + state +
             " TracerPid:" + std::to_string(tracer);
  }
  return "";
}

}  // namespace e2e
