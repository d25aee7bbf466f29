#include "snapshot/source_lines.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "target/core_process_info.hpp"
#include "target/proc_fs.hpp"

namespace corostack {
namespace {

struct SourceFile {
  bool readable = false;
  bool changed = false;
  std::vector<std::string> lines;  // lines[0] is line 1
};

SourceFile read_source(const std::string& host_path, std::optional<int64_t> newer_than_s) {
  SourceFile f;
  int fd = ::open(host_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return f;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return f;
  }
  std::string bytes(std::min<uint64_t>(static_cast<uint64_t>(st.st_size), kMaxSourceBytes), '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(got);
  f.readable = true;
  f.changed = newer_than_s && st.st_mtim.tv_sec > *newer_than_s;
  size_t start = 0;
  while (start < bytes.size()) {  // a final newline ends the last line, it opens none
    size_t end = bytes.find('\n', start);
    if (end == std::string::npos) end = bytes.size();
    std::string line = bytes.substr(start, std::min(end - start, kMaxLineBytes));
    if (end - start > kMaxLineBytes) line += "…";
    if (!line.empty() && line.back() == '\r') line.pop_back();
    f.lines.push_back(std::move(line));
    if (end == bytes.size()) break;
    start = end + 1;
  }
  return f;
}

}  // namespace

std::optional<int64_t> process_start_time(pid_t pid) {
  auto text = read_text_file("/proc/" + std::to_string(pid) + "/stat", 4096);
  auto st = text ? parse_dump_stat(*text) : Result<DumpStatFields>(text.error());
  auto proc_stat = read_text_file("/proc/stat", 1 << 20);
  if (!st || st->start_ticks == 0 || !proc_stat) return std::nullopt;
  size_t b = proc_stat->find("\nbtime ");  // boot time, seconds since the epoch
  if (b == std::string::npos) return std::nullopt;
  int64_t btime = std::strtoll(proc_stat->c_str() + b + 7, nullptr, 10);
  return btime +
         static_cast<int64_t>(st->start_ticks / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK)));
}

void attach_source_lines(ProcessSnapshot& snap, const Target& target, int context,
                         std::optional<int64_t> newer_than_s) {
  std::map<std::string, SourceFile> files;
  context = std::clamp(context, 0, 100);
  for (ThreadSnapshot& t : snap.threads) {
    for (Frame& f : t.frames) {
      if (f.kind != FrameKind::kPython || f.line <= 0 || f.file.empty() || f.file[0] != '/')
        continue;  // "<string>", "<frozen ...>" and relative names have no file to read
      auto it = files.find(f.file);
      if (it == files.end())
        it = files.emplace(f.file, read_source(target.host_path(f.file), newer_than_s)).first;
      const SourceFile& src = it->second;
      if (!src.readable || static_cast<size_t>(f.line) > src.lines.size()) continue;
      int first = std::max(1, f.line - context);
      int last = std::min(static_cast<int>(src.lines.size()), f.line + context);
      for (int n = first; n <= last; ++n)
        f.source.push_back({n, src.lines[static_cast<size_t>(n - 1)], n == f.line});
      f.source_changed = src.changed;
    }
  }
}

}  // namespace corostack
