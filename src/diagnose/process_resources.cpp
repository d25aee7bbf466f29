#include "diagnose/process_resources.hpp"

#include <dirent.h>
#include <fmt/format.h>
#include <time.h>

#include <charconv>
#include <sstream>

#include "base/clock.hpp"
#include "target/core_process_info.hpp"
#include "target/proc_fs.hpp"

namespace corostack::diagnose {
namespace {

constexpr size_t kMaxFdsCounted = 1 << 22;

std::optional<size_t> count_fds(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(path.c_str());
  if (!d) return std::nullopt;
  size_t n = 0;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    if (++n >= kMaxFdsCounted) break;
  }
  ::closedir(d);
  return n;
}

std::vector<pid_t> children_of(pid_t pid, bool* known) {
  std::vector<pid_t> out;
  *known = false;
  auto tasks = list_tasks(pid);
  if (!tasks) return out;
  for (pid_t tid : *tasks) {
    auto text = read_text_file(
        "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/children", 1 << 20);
    if (!text) continue;  // CONFIG_PROC_CHILDREN off, or the thread is gone
    *known = true;
    std::istringstream in(*text);
    pid_t child = 0;
    while (in >> child) out.push_back(child);
  }
  return out;
}

}  // namespace

std::optional<uint64_t> parse_open_files_limit(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(14));
    std::string soft;
    fields >> soft;
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(soft.data(), soft.data() + soft.size(), v);
    if (ec != std::errc() || p != soft.data() + soft.size()) return std::nullopt;  // "unlimited"
    return v;
  }
  return std::nullopt;
}

ProcessResources read_process_resources(pid_t pid) {
  ProcessResources r;
  r.open_fds = count_fds(pid);
  if (!r.open_fds) r.errors.push_back("open files: /proc/PID/fd is not readable");
  auto limits = read_text_file("/proc/" + std::to_string(pid) + "/limits", 1 << 16);
  if (limits) r.fd_soft_limit = parse_open_files_limit(*limits);
  bool known = false;
  for (pid_t child : children_of(pid, &known)) {
    auto st = read_proc_stat(child);
    if (st && st->state == 'Z') r.zombie_children.push_back(child);
  }
  if (!known) r.errors.push_back("child processes: /proc/PID/task/TID/children is not available");
  return r;
}

void check_resources(const ProcessResources& r, DoctorReport& report) {
  if (r.open_fds && r.fd_soft_limit && *r.fd_soft_limit > 0) {
    uint64_t used = *r.open_fds;
    uint64_t limit = *r.fd_soft_limit;
    if (used * 10 >= limit * 9) {
      Finding f;
      f.kind = FindingKind::kResource;
      f.severity = used >= limit ? Severity::kCritical : Severity::kWarning;
      f.summary = fmt::format(
          "{} of {} file descriptors open (RLIMIT_NOFILE): new sockets and "
          "files will fail with EMFILE",
          used, limit);
      f.evidence.push_back(f.summary);
      report.findings.push_back(std::move(f));
    } else {
      report.healthy.push_back(fmt::format("file descriptors: {} open of {}", used, limit));
    }
  }
  if (!r.zombie_children.empty()) {
    Finding f;
    f.kind = FindingKind::kResource;
    f.severity = Severity::kNotice;
    f.summary = fmt::format("{} zombie child process{} never waited for", r.zombie_children.size(),
                            r.zombie_children.size() == 1 ? "" : "es");
    std::string pids;
    for (pid_t p : r.zombie_children) pids += (pids.empty() ? "" : ", ") + std::to_string(p);
    f.evidence.push_back("zombie children: " + pids);
    report.findings.push_back(std::move(f));
  }
  for (const std::string& e : r.errors) report.not_checked.push_back(e);
}

ThreadCpuTimes read_thread_cpu_times(pid_t pid) {
  ThreadCpuTimes out;
  out.when_ns = clock_ns();
  auto tasks = list_tasks(pid);
  if (!tasks) return out;
  for (pid_t tid : *tasks) {
    auto text = read_text_file(
        "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/stat", 4096);
    if (!text) continue;  // the thread is gone
    if (auto st = parse_dump_stat(*text)) out.ticks[tid] = st->utime + st->stime;
  }
  out.read = true;
  return out;
}

}  // namespace corostack::diagnose
