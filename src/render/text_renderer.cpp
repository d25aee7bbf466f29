#include "render/text_renderer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "base/escape.hpp"
#include "base/paths.hpp"
#include "render/async_summary.hpp"
#include "render/tasks_renderer.hpp"

namespace corostack {
namespace {

struct Style {
  bool on;
  const char* bold() const { return on ? "\x1b[1m" : ""; }
  const char* func() const { return on ? "\x1b[33m" : ""; }
  const char* dim() const { return on ? "\x1b[2m" : ""; }
  const char* warn() const { return on ? "\x1b[31m" : ""; }
  const char* reset() const { return on ? "\x1b[0m" : ""; }
};

std::string source_kind(const ProcessSnapshot& s) {
  switch (s.source) {
    case TargetKind::kLive:
      return "live";
    case TargetKind::kCore:
      return "core " + escape_for_terminal(s.core_path);
    case TargetKind::kFake:
      return "fake";
  }
  return "?";
}

std::string syscall_text(const SyscallInfo& sc) {
  std::string s = escape_for_terminal(sc.name) + "(";
  for (size_t i = 0; i < sc.args.size(); ++i) {
    if (i) s += ", ";
    // A named fd reads as strace -y shows it: 4<pipe:[88213]>.
    if (i == 0 && !sc.fd_name.empty())
      s += fmt::format("{}<{}>", sc.args[0], escape_for_terminal(sc.fd_name));
    else
      s += fmt::format("{:#x}", sc.args[i]);
  }
  return s + ")";
}

void render_python_frame(const Frame& f, size_t index, const Style& st, std::ostream& out) {
  std::string func = f.function ? escape_for_terminal(*f.function) : "??";
  std::string line = fmt::format("    #{:<3} {:<18} in {}{}{} at {}", index, "[python]", st.func(),
                                 func, st.reset(), escape_for_terminal(f.file));
  line += f.line > 0 ? fmt::format(":{}", f.line) : std::string(":?");
  out << line << '\n';
  if (f.source.size() == 1) {
    // As pystack and py-bt: the executing line alone, without its indentation.
    std::string text = f.source[0].text;
    size_t indent = std::min(text.find_first_not_of(" \t"), text.size());
    text.erase(0, indent);
    out << "            " << escape_for_terminal(text, 4096, true) << '\n';
    // Python's own tracebacks underline the executing expression: ^^^^ under
    // its columns (3.11+), when it lies on this line and the text is plain
    // ASCII (columns are UTF-8 byte offsets, the underline counts cells).
    bool ascii = std::all_of(text.begin(), text.end(), [](char c) {
      return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
    });
    if (f.column && f.end_column && f.end_line == f.line && ascii &&
        static_cast<size_t>(*f.column) >= indent && *f.end_column > *f.column &&
        static_cast<size_t>(*f.end_column) - indent <= text.size() &&
        !(*f.column == static_cast<int>(indent) &&
          static_cast<size_t>(*f.end_column) - indent == text.size()))  // the whole line: no marks
      out << "            " << std::string(static_cast<size_t>(*f.column) - indent, ' ')
          << std::string(static_cast<size_t>(*f.end_column - *f.column), '^') << '\n';
  } else {
    for (const SourceLine& s : f.source)  // py-list's shape: ">" marks the executing line
      out << fmt::format("          {}{:>5}  {}{}\n", s.current ? ">" : " ", s.line,
                         escape_for_terminal(s.text, 4096, true), "");
  }
  if (f.source_changed)
    out << fmt::format(
        "            {}(file modified after the process started: may not be the "
        "code that ran){}\n",
        st.dim(), st.reset());
  for (const Local& l : f.locals) {
    out << fmt::format("            {}{}{} = {}{}\n", st.dim(), escape_for_terminal(l.name),
                       st.reset(), escape_for_terminal(l.repr, 64 * 1024, true),
                       l.argument ? "  (argument)" : "");
  }
}

// gdb's `bt full`: arguments then locals, one per line; a parameter's value
// at entry (from the caller's call site) as gdb's `name@entry`.
void render_native_locals(const Frame& f, const Style& st, std::ostream& out) {
  for (const Local& l : f.locals) {
    std::string note;
    if (l.argument && l.entry_value)
      note = fmt::format("  (argument; {}@entry = {})", escape_for_terminal(l.name),
                         escape_for_terminal(*l.entry_value, 64 * 1024, true));
    else if (l.argument)
      note = "  (argument)";
    out << fmt::format("            {}{}{} = {}{}\n", st.dim(), escape_for_terminal(l.name),
                       st.reset(), escape_for_terminal(l.repr, 64 * 1024, true), note);
  }
}

void render_async_frame(const Frame& f, size_t index, const Style& st, std::ostream& out) {
  std::string func = f.function ? escape_for_terminal(*f.function) : "??";
  std::string line =
      fmt::format("    #{:<3} {:<18} in {}{}{}", index, "[async]", st.func(), func, st.reset());
  if (f.line > 0) line += fmt::format(" at {}:{}", escape_for_terminal(f.file), f.line);
  line += fmt::format(" {}(frame {:#x}){}", st.dim(), f.pc, st.reset());
  out << line << '\n';
  render_native_locals(f, st, out);  // dump --native --locals: what the frame keeps
}

void render_frame(const Frame& f, size_t index, const Style& st, std::ostream& out) {
  if (f.kind == FrameKind::kPython) return render_python_frame(f, index, st, out);
  if (f.kind == FrameKind::kAsync) return render_async_frame(f, index, st, out);
  std::string where = f.inlined     ? fmt::format("{:<18}", "[inlined]")
                      : f.tail_call ? fmt::format("{:<18}", "[tail call]")
                                    : fmt::format("0x{:016x}", f.pc);
  std::string func = f.function ? escape_for_terminal(*f.function) : "??";
  std::string line =
      fmt::format("    #{:<3} {} in {}{}{}", index, where, st.func(), func, st.reset());
  if (f.offset && f.file.empty()) line += fmt::format(" + {}", *f.offset);
  if (!f.file.empty()) line += fmt::format(" at {}:{}", escape_for_terminal(f.file), f.line);
  if (!f.module.empty())
    line += fmt::format(" {}({}){}", st.dim(), escape_for_terminal(path_basename(f.module)),
                        st.reset());
  out << line << '\n';
  render_native_locals(f, st, out);
}

constexpr size_t kMaxAwaitableRows = 20;

// `dump --async`: what each loop on this thread is doing.
void render_loops(const asyncio::AsyncioState& s, uint64_t ident, const char* indent,
                  const Style& st, std::ostream& out) {
  for (const LoopSummary& sum : summarize_loops(s, ident)) {
    out << indent << st.bold() << "asyncio loop" << st.reset() << ' '
        << escape_for_terminal(sum.loop->type) << fmt::format(" {:#x}", sum.loop->address.value())
        << ": ";
    if (sum.running) {
      out << "running task \"" << escape_for_terminal(sum.running->name, 256) << '"'
          << fmt::format(" ({:#x})", sum.running->address.value());
    } else {
      out << "no task running";
    }
    out << fmt::format("; {} task{} suspended", sum.suspended, sum.suspended == 1 ? "" : "s");
    if (sum.finished) out << fmt::format(", {} finished", sum.finished);
    out << (sum.by_awaitable.empty() ? "\n" : ", on:\n");
    size_t shown = 0, rest = 0;
    for (const auto& [what, n] : sum.by_awaitable) {
      if (shown++ < kMaxAwaitableRows) {
        out << indent << fmt::format("  {:>8}  ", n) << escape_for_terminal(what, 512) << '\n';
      } else {
        rest += n;
      }
    }
    if (rest)
      out << indent
          << fmt::format("  {:>8}  ({} more kinds; `corostack tasks` lists them)\n", rest,
                         sum.by_awaitable.size() - kMaxAwaitableRows);
  }
}

}  // namespace

void render_text(const ProcessSnapshot& snap, const TextOptions& options, std::ostream& out) {
  Style st{options.color};
  out << st.bold()
      << fmt::format("Process {}: {} ({}, {} thread{}", snap.pid, escape_for_terminal(snap.command),
                     source_kind(snap), snap.threads.size(), snap.threads.size() == 1 ? "" : "s");
  if (snap.source == TargetKind::kLive)
    out << fmt::format(", paused {:.2f} ms", snap.pause_ns / 1e6);
  out << ")" << st.reset() << '\n';
  if (!snap.command_line.empty())
    out << "Command: " << escape_for_terminal(snap.command_line) << '\n';
  if (snap.crash) {
    out << st.warn() << snap.crash->headline() << st.reset() << '\n';
    std::string detail = snap.crash->detail();
    if (!detail.empty()) out << "  " << escape_for_terminal(detail) << '\n';
    if (snap.crash->thread) out << "  thread " << snap.crash->thread << " received it\n";
    if (!snap.crash->abort_message.empty())
      out << "Abort message: " << escape_for_terminal(snap.crash->abort_message) << '\n';
  }
  if (snap.python) {
    out << "Python " << escape_for_terminal(snap.python->version) << " ("
        << escape_for_terminal(snap.python->module) << ")";
    if (snap.python->free_threaded)
      out << (snap.python->gil_enabled.value_or(false) ? ", free-threaded build, GIL enabled"
                                                       : ", free-threaded (no GIL)");
    if (snap.python->gc_collecting.value_or(false)) out << ", garbage collection running";
    if (snap.python->finalizing) out << ", shutting down (Py_Finalize in progress)";
    out << '\n';
  }

  for (const ThreadSnapshot& t : snap.threads) {
    out << '\n' << st.bold() << "Thread " << t.tid;
    if (!t.name.empty()) out << " \"" << escape_for_terminal(t.name) << '"';
    out << st.reset() << " (";
    if (t.is_main) out << "main, ";
    out << state_name(t.state);
    if (t.syscall) out << ", in " << syscall_text(*t.syscall);
    if (snap.crash && snap.crash->thread == t.tid) out << ", received " << snap.crash->signal_name;
    if (t.python) {
      if (t.python->holds_gil) out << ", holds the GIL";
      if (t.python->gc_collecting) out << ", collecting garbage";
    } else if (snap.python) {
      out << ", no Python state";
    }
    if (t.may_be_torn) out << ", read while running: may be torn";
    out << ")\n";
    size_t index = 0;
    // Several interpreters: say whose frames follow wherever that changes
    // along the stack (one thread may run frames of several in turn).
    bool mark_interpreters = snap.python && snap.python->interpreters.size() > 1;
    int64_t interpreter = -2;
    for (const Frame& f : t.frames) {
      if (mark_interpreters && f.kind == FrameKind::kPython && f.interpreter != interpreter) {
        interpreter = f.interpreter;
        out << "    " << st.dim() << "In interpreter "
            << (interpreter >= 0 ? std::to_string(interpreter) : std::string("?")) << ":"
            << st.reset() << '\n';
      }
      render_frame(f, index++, st, out);
    }
    for (const std::string& e : t.errors)
      out << "    " << st.warn() << "!! " << escape_for_terminal(e) << st.reset() << '\n';
    if (snap.asyncio && t.python) render_loops(*snap.asyncio, t.python->thread_id, "    ", st, out);
  }
  if (snap.asyncio) {
    std::ostringstream idle;
    render_loops(*snap.asyncio, 0, "  ", st, idle);
    if (!idle.str().empty()) out << "\nEvent loops not running on any thread:\n" << idle.str();
    for (const std::string& e : snap.asyncio->errors)
      out << "  " << st.warn() << "!! asyncio: " << escape_for_terminal(e) << st.reset() << '\n';
    render_unawaited(snap, out);
  }
}

}  // namespace corostack
