#include "target/core_process_info.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>
#include <vector>

#include "target/proc_fs.hpp"

namespace corostack {
namespace {

std::string proc_path(pid_t pid, const std::string& leaf) {
  return "/proc/" + std::to_string(pid) + "/" + leaf;
}

template <typename T>
T to_number(std::string_view s, int base = 10) {
  T v{};
  std::from_chars(s.data(), s.data() + s.size(), v, base);
  return v;
}

// The first number after "Key:" in /proc/PID/status (the real id for Uid/Gid).
uint32_t status_field(const std::string& status, std::string_view key) {
  size_t p = status.find(key);
  if (p == std::string::npos) return 0;
  p += key.size();
  while (p < status.size() && (status[p] == ' ' || status[p] == '\t')) ++p;
  return to_number<uint32_t>(std::string_view(status).substr(p, 16));
}

}  // namespace

Result<DumpStatFields> parse_dump_stat(const std::string& text) {
  // "pid (comm) S ppid ...": comm may hold ')' and spaces, so it ends at the last ')'.
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open)
    return make_error(ErrorKind::kCorrupt, "malformed stat");
  DumpStatFields st;
  st.comm = text.substr(open + 1, close - open - 1);
  std::vector<std::string_view> f;  // f[0] is the state, as field 3 of proc(5)
  std::string_view rest = std::string_view(text).substr(close + 1);
  while (!rest.empty() && f.size() < 20) {
    size_t b = rest.find_first_not_of(" \n");
    if (b == std::string_view::npos) break;
    rest.remove_prefix(b);
    size_t e = std::min(rest.find(' '), rest.size());
    f.push_back(rest.substr(0, e));
    rest.remove_prefix(e);
  }
  if (f.size() < 17) return make_error(ErrorKind::kCorrupt, "malformed stat");
  st.state = f[0].empty() ? '?' : f[0][0];
  st.ppid = to_number<pid_t>(f[1]);
  st.pgrp = to_number<pid_t>(f[2]);
  st.sid = to_number<pid_t>(f[3]);
  st.flags = to_number<uint64_t>(f[6]);
  st.utime = to_number<uint64_t>(f[11]);
  st.stime = to_number<uint64_t>(f[12]);
  st.cutime = to_number<uint64_t>(f[13]);
  st.cstime = to_number<uint64_t>(f[14]);
  st.nice = to_number<int>(f[16]);
  if (f.size() > 19) st.start_ticks = to_number<uint64_t>(f[19]);
  return st;
}

Result<DumpProcessInfo> read_dump_process_info(pid_t pid) {
  auto stat_text = read_text_file(proc_path(pid, "stat"), 4096);
  if (!stat_text) return stat_text.error();
  auto st = parse_dump_stat(*stat_text);
  if (!st) return st.error();
  DumpProcessInfo info;
  info.pid = pid;
  info.ppid = st->ppid;
  info.pgrp = st->pgrp;
  info.sid = st->sid;
  info.state = st->state;
  info.nice = st->nice;
  info.flags = st->flags;
  info.comm = st->comm;
  info.cutime_ticks = st->cutime;
  info.cstime_ticks = st->cstime;
  if (auto status = read_text_file(proc_path(pid, "status"), 1 << 16)) {
    info.uid = status_field(*status, "Uid:");
    info.gid = status_field(*status, "Gid:");
  }
  if (auto cmd = read_text_file(proc_path(pid, "cmdline"), 4096)) {
    std::string c = *cmd;
    while (!c.empty() && c.back() == '\0') c.pop_back();
    std::replace(c.begin(), c.end(), '\0', ' ');
    info.args = std::move(c);
  }
  if (auto auxv = read_text_file(proc_path(pid, "auxv"), 1 << 16)) {
    const auto* b = reinterpret_cast<const std::byte*>(auxv->data());
    info.auxv.assign(b, b + auxv->size());
  }
  return info;
}

std::vector<DumpExclusion> read_dump_exclusions(pid_t pid) {
  std::vector<DumpExclusion> out;
  auto text = read_text_file(proc_path(pid, "smaps"));
  if (!text) return out;
  std::string_view rest = *text;
  DumpExclusion current;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    if (line.starts_with("VmFlags:")) {
      std::string flags = " " + std::string(line.substr(8)) + " ";
      if (flags.find(" dd ") != std::string::npos || flags.find(" io ") != std::string::npos)
        out.push_back(current);
      continue;
    }
    // A mapping's header line: "start-end perms ..."; field lines start "Name:".
    size_t dash = line.find('-');
    size_t space = line.find(' ');
    if (dash == std::string_view::npos || space == std::string_view::npos || dash > space) continue;
    current.start = to_number<uint64_t>(line.substr(0, dash), 16);
    current.end = to_number<uint64_t>(line.substr(dash + 1, space - dash - 1), 16);
  }
  std::sort(out.begin(), out.end(),
            [](const DumpExclusion& a, const DumpExclusion& b) { return a.start < b.start; });
  return out;
}

std::unordered_map<pid_t, DumpThread> read_dump_threads(pid_t pid) {
  std::unordered_map<pid_t, DumpThread> out;
  auto tids = list_tasks(pid);
  if (!tids) return out;
  for (pid_t tid : *tids) {
    DumpThread t;
    t.tid = tid;
    auto text = read_text_file(proc_path(pid, "task/" + std::to_string(tid) + "/stat"), 4096);
    if (!text) continue;  // exited since the listing
    if (auto st = parse_dump_stat(*text)) {
      t.name = st->comm;
      t.state = st->state;
      t.utime_ticks = st->utime;
      t.stime_ticks = st->stime;
    }
    out.emplace(tid, std::move(t));
  }
  return out;
}

}  // namespace corostack
