#include "process_state.hpp"

#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
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

long context_switches(pid_t pid, pid_t tid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
  std::string line;
  long total = 0;
  int found = 0;
  while (std::getline(in, line)) {
    for (const char* key : {"voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:"}) {
      if (line.rfind(key, 0) == 0) {
        total += std::stol(line.substr(std::string(key).size()));
        ++found;
      }
    }
  }
  return found == 2 ? total : -1;
}

bool bpf_program_exists(uint32_t id) {
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.prog_id = id;
  int fd = static_cast<int>(syscall(SYS_bpf, BPF_PROG_GET_FD_BY_ID, &attr, sizeof attr));
  if (fd < 0) return errno != ENOENT;
  close(fd);
  return true;
}

BpfHandles bpf_handles_of(pid_t pid) {
  BpfHandles out;
  std::error_code ec;
  const std::string proc = "/proc/" + std::to_string(pid);
  for (const auto& ent : std::filesystem::directory_iterator(proc + "/fd", ec)) {
    std::string link = std::filesystem::read_symlink(ent.path(), ec).string();
    if (ec) continue;
    if (link == "anon_inode:bpf_link") ++out.links;
    if (link != "anon_inode:bpf-prog") continue;
    std::ifstream in(proc + "/fdinfo/" + ent.path().filename().string());
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("prog_id:", 0) == 0)
        out.program_ids.push_back(
            static_cast<uint32_t>(std::strtoul(line.c_str() + 8, nullptr, 10)));
  }
  return out;
}

}  // namespace e2e
