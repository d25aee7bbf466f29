#include "trace/call_counts.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "base/escape.hpp"
#include "trace/syscall_decode.hpp"
#include "trace/syscall_table.hpp"

namespace corostack::trace {
namespace {

std::string call_name(int64_t nr) {
  const SyscallSpec* spec = syscall_spec(nr);
  return spec ? std::string(spec->name) : syscall_display_name(nr);
}

}  // namespace

CallCounts::CallCounts(std::FILE* out, bool wall, bool by_python)
    : out_(out), wall_(wall), by_python_(by_python) {}

void CallCounts::enter(const CallEntry& entry, const MemoryReader&) {
  Open o{entry.call.nr, entry.time_ns, {}};
  if (by_python_) {
    if (entry.python.empty()) {
      o.where = "(no Python frame)";
    } else {
      const python::PyFrame& f = entry.python.front();
      o.where = fmt::format("{}:{} ({})", escape_for_terminal(f.filename, 1024), f.line,
                            escape_for_terminal(f.function, 256));
    }
  }
  open_[entry.call.tid] = std::move(o);
}

void CallCounts::leave(pid_t tid, const CallExit& exit, const MemoryReader&) {
  auto it = open_.find(tid);
  if (it == open_.end()) return;
  Open o = std::move(it->second);
  open_.erase(it);
  if (exit.unavailable) return;  // strace counts only calls that returned
  uint64_t t = 0;
  if (!wall_ && exit.cpu_ns)
    t = *exit.cpu_ns;
  else if (exit.time_ns >= o.time_ns)
    t = exit.time_ns - o.time_ns;
  bool failed = is_error_return(exit.ret);
  CallCount& c = by_call_[o.nr];
  ++c.calls;
  c.errors += failed;
  c.time_ns += t;
  if (by_python_) {
    CallCount& l = by_line_[{o.where, o.nr}];
    ++l.calls;
    l.errors += failed;
    l.time_ns += t;
  }
}

void CallCounts::exited(const ExitEvent& event) {
  open_.erase(event.tid);
}

void CallCounts::add(int64_t nr, const CallCount& c) {
  CallCount& mine = by_call_[nr];
  mine.calls += c.calls;
  mine.errors += c.errors;
  mine.time_ns += c.time_ns;
}

void CallCounts::print_table(std::vector<Row> rows, const char* last_column) {
  CallCount total;
  for (const Row& r : rows) {
    total.calls += r.count.calls;
    total.errors += r.count.errors;
    total.time_ns += r.count.time_ns;
  }
  // strace's default order: most time first; ties keep the order given.
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.count.time_ns > b.count.time_ns; });
  auto rule = [&] {
    fmt::print(out_, "------ ----------- ----------- --------- --------- ----------------\n");
  };
  auto line = [&](const std::string& name, const CallCount& c) {
    double pct = total.time_ns
                     ? 100.0 * static_cast<double>(c.time_ns) / static_cast<double>(total.time_ns)
                     : 0.0;
    uint64_t usecs = c.calls ? c.time_ns / 1000u / c.calls : 0;
    std::string errors = c.errors ? std::to_string(c.errors) : "";
    fmt::print(out_, "{:6.2f} {:11.6f} {:11} {:9} {:>9} {}\n", pct,
               static_cast<double>(c.time_ns) / 1e9, usecs, c.calls, errors, name);
  };
  fmt::print(out_, "{:>6} {:>11} {:>11} {:>9} {:>9} {}\n", "% time", "seconds", "usecs/call",
             "calls", "errors", last_column);
  rule();
  for (const Row& r : rows) line(r.name, r.count);
  rule();
  line("total", total);
}

void CallCounts::finish() {
  // In call-number order, so calls with equal times keep strace's order.
  std::vector<Row> calls;
  for (const auto& [nr, c] : by_call_) calls.push_back({call_name(nr), c});
  print_table(std::move(calls), "syscall");
  if (by_python_) {
    std::vector<Row> lines;
    for (const auto& [key, c] : by_line_)
      lines.push_back({std::get<0>(key) + " " + call_name(std::get<1>(key)), c});
    fmt::print(out_, "\n");
    print_table(std::move(lines), "python line (function) syscall");
  }
  std::fflush(out_);
}

}  // namespace corostack::trace
