#include "trace/strace_writer.hpp"

#include <ctime>

#include <fmt/format.h>

#include "base/escape.hpp"
#include "trace/syscall_table.hpp"

namespace corostack::trace {
namespace {

// strace pads a call to this column before " = " (its default -a 40).
constexpr size_t kReturnColumn = 39;

std::string join(const std::vector<std::string>& parts) {
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) s += ", ";
    s += parts[i];
  }
  return s;
}

std::string duration_text(uint64_t ns) {
  return fmt::format(" <{}.{:06}>", ns / 1'000'000'000u, (ns / 1000u) % 1'000'000u);
}

}  // namespace

std::string format_timestamp(int style, uint64_t wall_ns) {
  time_t secs = static_cast<time_t>(wall_ns / 1'000'000'000u);
  uint64_t usec = (wall_ns / 1000u) % 1'000'000u;
  if (style >= 3) return fmt::format("{}.{:06} ", secs, usec);
  std::tm tm{};
  ::localtime_r(&secs, &tm);
  char hms[16];
  std::strftime(hms, sizeof hms, "%H:%M:%S", &tm);
  if (style == 2) return fmt::format("{}.{:06} ", hms, usec);
  return std::string(hms) + ' ';
}

StraceWriter::StraceWriter(std::FILE* out, const LineOptions& options, const FdNames& fds,
                           bool flush_lines)
    : out_(out), options_(options), fds_(fds), flush_lines_(flush_lines) {}

std::string StraceWriter::leader(pid_t tid, uint64_t time_ns, uint64_t wall_ns) {
  std::string s;
  if (options_.pid_column)
    s = fmt::format("{:<5} ", tid);
  else if (many_threads_)
    s = fmt::format("[pid {:>5}] ", tid);
  if (options_.timestamps) s += format_timestamp(options_.timestamps, wall_ns);
  if (options_.relative) {
    uint64_t d = last_time_ns_ && time_ns >= last_time_ns_ ? time_ns - last_time_ns_ : 0;
    s += fmt::format("{:>6}.{:06} ", d / 1'000'000'000u, (d / 1000u) % 1'000'000u);
    last_time_ns_ = time_ns;
  }
  return s;
}

void StraceWriter::emit(const std::string& text, bool complete) {
  std::fwrite(text.data(), 1, text.size(), out_);
  if (complete) {
    std::fputc('\n', out_);
    column_ = 0;
  } else {
    column_ += text.size();
  }
  if (flush_lines_) std::fflush(out_);
}

void StraceWriter::close_open_line() {
  if (!open_line_tid_) return;
  emit(" <unfinished ...>", true);
  open_line_tid_ = 0;
}

void StraceWriter::enter(const CallEntry& entry, const MemoryReader& mem) {
  if (options_.decode.fd_detail > 1) fds_.new_call();
  Pending p;
  p.entry = entry;
  if (!entry.in_progress) note_value_result(p.entry.call, mem);
  const SyscallSpec* spec = syscall_spec(entry.call.nr);
  std::string name = spec ? std::string(spec->name) : syscall_display_name(entry.call.nr);
  if (entry.in_progress) {
    // Attached to a thread inside this call: only its name is certain.
    p.text = name + "(";
    p.more_args = false;
  } else {
    auto args = decode_entry(entry.call, mem, fds_, options_.decode, &p.more_args);
    p.text = name + "(" + join(args) + (p.more_args && !args.empty() ? ", " : "");
  }
  if (!held_back()) {
    close_open_line();
    emit(leader(entry.call.tid, entry.time_ns, entry.wall_ns) + p.text, false);
    open_line_tid_ = entry.call.tid;
    p.printed = true;
  }
  pending_[entry.call.tid] = std::move(p);
}

void StraceWriter::leave(pid_t tid, const CallExit& exit, const MemoryReader& mem) {
  auto it = pending_.find(tid);
  if (it == pending_.end()) return;  // entered before the trace began: nothing to pair
  Pending p = std::move(it->second);
  pending_.erase(it);
  const CallArgs& call = p.entry.call;
  if (held_back()) {
    uint32_t bit = exit.unavailable            ? kStatusUnavailable
                   : is_error_return(exit.ret) ? kStatusFailed
                                               : kStatusSuccessful;
    if (!(options_.status & bit)) return;
  }
  std::string rest;
  if (p.more_args && !exit.unavailable) {
    auto args = decode_exit(call, exit.ret, mem, fds_, options_.decode);
    rest = join(args);
  }
  rest += ")";
  std::string line;
  if (p.printed && open_line_tid_ == tid) {
    line = rest;
  } else {
    close_open_line();
    const SyscallSpec* spec = syscall_spec(call.nr);
    std::string name = spec ? std::string(spec->name) : syscall_display_name(call.nr);
    line = leader(tid, exit.time_ns, p.entry.wall_ns) +
           (p.printed ? "<... " + name + " resumed>" + rest : p.text + rest);
    column_ = 0;
  }
  size_t col = column_ + line.size();
  if (col < kReturnColumn) line.append(kReturnColumn - col, ' ');
  line += " = ";
  line += exit.unavailable ? "?" : format_return(call, exit.ret, fds_, options_.decode);
  if (options_.durations && !exit.unavailable && exit.time_ns >= p.entry.time_ns)
    line += duration_text(exit.time_ns - p.entry.time_ns);
  emit(line, true);
  open_line_tid_ = 0;
  emit_frames(p.entry);
}

void StraceWriter::emit_frames(const CallEntry& entry) {
  if (options_.native) {
    // strace -k's lines: " > /lib/libc.so.6(__write+0x14) [0xf8354]".
    for (const NativeCallFrame& f : entry.native) {
      if (f.module.empty()) {
        emit(fmt::format(" > ?? [{:#x}]", f.pc), true);
        continue;
      }
      std::string symbol =
          f.function
              ? fmt::format("{}+{:#x}", escape_for_terminal(*f.function, 512), f.function_offset)
              : std::string();
      emit(fmt::format(" > {}({}) [{:#x}]", escape_for_terminal(f.module, 1024), symbol,
                       f.module_offset),
           true);
    }
    if (entry.native.empty() && !entry.native_error.empty())
      emit(" > <no native stack: " + escape_for_terminal(entry.native_error, 256) + ">", true);
  }
  if (options_.python_depth > 0) {
    size_t n = 0;
    for (const python::PyFrame& f : entry.python) {
      if (n++ >= static_cast<size_t>(options_.python_depth)) break;
      emit(fmt::format(" > {} ({}:{})", escape_for_terminal(f.function, 512),
                       escape_for_terminal(f.filename, 1024), f.line),
           true);
    }
    if (entry.python.empty() && !entry.python_error.empty())
      emit(" > <no Python stack: " + escape_for_terminal(entry.python_error, 256) + ">", true);
  }
}

void StraceWriter::signal(const SignalEvent& e) {
  if (!options_.signals.empty() &&
      (e.signo < 0 || static_cast<size_t>(e.signo) >= options_.signals.size() ||
       !options_.signals[static_cast<size_t>(e.signo)]))
    return;
  close_open_line();
  std::string body =
      e.stopped ? "stopped by " + signal_name(e.signo) : signal_name(e.signo) + " " + e.siginfo;
  emit(leader(e.tid, e.time_ns, e.wall_ns) + "--- " + body + " ---", true);
}

void StraceWriter::exited(const ExitEvent& e) {
  // A call the thread never returned from: "<... exit resumed>) = ?" as strace.
  if (auto it = pending_.find(e.tid); it != pending_.end()) {
    CallExit x;
    x.unavailable = true;
    x.time_ns = e.time_ns;
    leave(e.tid, x, no_memory());
  }
  close_open_line();
  std::string body =
      e.killed ? "killed by " + signal_name(e.signo) + (e.core_dumped ? " (core dumped)" : "")
               : "exited with " + std::to_string(e.code);
  emit(leader(e.tid, e.time_ns, e.wall_ns) + "+++ " + body + " +++", true);
}

void StraceWriter::note(const std::string&) {
  // Notes go to stderr (SinkFanOut), never into the trace itself.
}

void StraceWriter::finish() {
  // Calls still in progress: strace's " <detached ...>" / "<unfinished ...>".
  close_open_line();
  if (held_back() && (options_.status & kStatusUnfinished)) {
    for (auto& [tid, p] : pending_)
      emit(leader(tid, p.entry.time_ns, p.entry.wall_ns) + p.text + " <unfinished ...>)", true);
  }
  pending_.clear();
  std::fflush(out_);
}

void StraceWriter::flush() {
  std::fflush(out_);
}

}  // namespace corostack::trace
