#include "diagnose/event_loop_rules.hpp"

#include <fmt/format.h>

#include <string_view>

#include "diagnose/asyncio_rules.hpp"
#include "diagnose/native_lock_waits.hpp"
#include "diagnose/thread_label.hpp"

namespace corostack::diagnose {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool frame_is(const Frame& f, std::string_view file, std::string_view function) {
  if (f.kind != FrameKind::kPython || !f.function) return false;
  std::string_view fn = *f.function;
  return ends_with(f.file, file) && (fn == function || ends_with(fn, "." + std::string(function)));
}

struct LoopThread {
  bool runs_loop = false;
  bool in_selector = false;
  bool in_callback = false;
  const Frame* innermost_python = nullptr;
};

LoopThread classify(const ThreadSnapshot& t) {
  LoopThread lt;
  bool seen_python = false;
  for (const Frame& f : t.frames) {
    if (f.kind != FrameKind::kPython) continue;
    if (!seen_python) {
      lt.innermost_python = &f;
      lt.in_selector =
          ends_with(f.file, "selectors.py") || frame_is(f, "windows_events.py", "select");
      seen_python = true;
    }
    if (frame_is(f, "events.py", "_run")) lt.in_callback = true;
    if (frame_is(f, "base_events.py", "_run_once")) {
      lt.runs_loop = true;
      break;
    }
  }
  return lt;
}

// What a thread sleeping in this system call is doing, in Python's words.
// time.sleep is clock_nanosleep from 3.11 on, select() with no fds before.
std::string blocking_call_text(const ThreadSnapshot& t) {
  const SyscallInfo& sc = *t.syscall;
  const std::string& n = sc.name;
  bool in_time_sleep = false;
  for (const Frame& f : t.frames)
    if (f.kind == FrameKind::kNative && f.function &&
        (f.function->rfind("time_sleep", 0) == 0 || f.function->rfind("pysleep", 0) == 0))
      in_time_sleep = true;
  bool no_fds = (n == "select" || n == "pselect6") && !sc.args.empty() && sc.args[0] == 0;
  if (n == "clock_nanosleep" || n == "nanosleep" || in_time_sleep || no_fds)
    return "time.sleep (" + n + ")";
  if (n == "futex") return "a lock or condition wait (futex)";
  // The fd as the snapshot names it (snapshot/fd_names), strace -yy style.
  auto fd = [&]() {
    int f = sc.args.empty() ? -1 : static_cast<int>(sc.args[0]);
    return sc.fd_name.empty() ? fmt::format("fd {}", f) : fmt::format("{}<{}>", f, sc.fd_name);
  };
  if (n == "recvfrom" || n == "recvmsg" || n == "read" || n == "recvmmsg" || n == "readv" ||
      n == "pread64")
    return fmt::format("a blocking read: {}({})", n, fd());
  if (n == "accept" || n == "accept4" || n == "connect")
    return fmt::format("a blocking {}({})", n, fd());
  if (n == "wait4" || n == "waitid") return "waiting for a child process (" + n + ")";
  return n + "()";
}

const asyncio::AsyncLoop* loop_of(const ProcessSnapshot& snap, uint64_t ident) {
  if (!snap.asyncio || ident == 0) return nullptr;
  for (const asyncio::AsyncLoop& l : snap.asyncio->loops)
    if (l.thread_id == ident) return &l;
  return nullptr;
}

std::string loop_running_text(const ProcessSnapshot& snap, const asyncio::AsyncLoop* loop,
                              const LoopThread& lt) {
  if (loop && loop->current_task && *loop->current_task < snap.asyncio->tasks.size()) {
    const asyncio::AsyncTask& task = snap.asyncio->tasks[*loop->current_task];
    std::string s = "task \"" + task.name + "\"";
    if (!task.stack.empty()) s += " (" + python_frame_text(task.stack.front()) + ")";
    return s;
  }
  if (lt.innermost_python) return "a callback (" + frame_text(*lt.innermost_python) + ")";
  return "a callback";
}

std::string frame_key(const Frame* f) {
  if (!f) return {};
  return (f->function ? *f->function : "") + "@" + f->file + ":" + std::to_string(f->line);
}

}  // namespace

void check_event_loops(const ProcessSnapshot& snap, const ReadyQueues& ready,
                       const ProcessSnapshot* earlier, double watch_seconds, DoctorReport& report) {
  size_t idle = 0, busy = 0;
  for (const ThreadSnapshot& t : snap.threads) {
    LoopThread lt = classify(t);
    if (!lt.runs_loop) continue;
    if (lt.in_selector) {
      ++idle;
      continue;
    }
    const asyncio::AsyncLoop* loop = loop_of(snap, t.python ? t.python->thread_id : 0);
    bool sleeping = t.syscall && (t.state == 'S' || t.state == 'D');
    bool same_at_both_reads = false;
    if (earlier && !sleeping) {
      const ThreadSnapshot* before = find_thread(*earlier, t.tid);
      if (before) {
        LoopThread b = classify(*before);
        same_at_both_reads = b.runs_loop && !b.in_selector && b.in_callback &&
                             frame_key(b.innermost_python) == frame_key(lt.innermost_python);
      }
    }
    if (!sleeping && !same_at_both_reads) {
      ++busy;
      continue;
    }
    Finding f;
    f.kind = FindingKind::kBlockedEventLoop;
    f.severity = Severity::kWarning;
    f.threads.push_back(t.tid);
    std::string what = loop_running_text(snap, loop, lt);
    std::string how =
        sleeping ? "in " + blocking_call_text(t)
                 : fmt::format("running Python at the same line for ≥ {:.1f} s", watch_seconds);
    std::string waiting;
    if (loop) {
      auto r = ready.find(loop->address.value());
      size_t pending = 0;
      for (const asyncio::AsyncTask& task : snap.asyncio->tasks)
        if (task.loop == loop->address && task.state == asyncio::TaskState::kPending &&
            !task.running)
          ++pending;
      if (r != ready.end())
        waiting =
            fmt::format("; {} callback{} ready and waiting, {} other task{} on this loop",
                        r->second, r->second == 1 ? "" : "s", pending, pending == 1 ? "" : "s");
      else
        waiting = fmt::format("; {} other task{} on this loop", pending, pending == 1 ? "" : "s");
    }
    f.summary = "event loop blocked by " + what + " " + how + waiting;
    f.evidence.push_back(
        thread_label(snap, t.tid) + " runs the loop" +
        (loop ? fmt::format(" ({} at {:#x})", loop->type, loop->address.value()) : std::string()));
    f.evidence.push_back("it is inside " + what + ", " + how);
    size_t shown = 0;
    for (const Frame& fr : t.frames) {
      if (fr.kind != FrameKind::kPython) continue;
      f.evidence.push_back("  " + frame_text(fr));
      if (++shown == 6) break;
    }
    report.findings.push_back(std::move(f));
  }
  if (idle + busy > 0)
    report.healthy.push_back(fmt::format(
        "event loops: {} idle in the selector, {} running a callback that is not blocked{}", idle,
        busy, busy > 0 && !earlier ? " (--watch tells a long CPU-bound callback)" : ""));
}

}  // namespace corostack::diagnose
