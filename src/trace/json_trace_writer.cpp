#include "trace/json_trace_writer.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/escape.hpp"
#include "trace/syscall_table.hpp"

namespace corostack::trace {
namespace {

using nlohmann::json;

std::string call_name(int64_t nr) {
  const SyscallSpec* spec = syscall_spec(nr);
  return spec ? std::string(spec->name) : syscall_display_name(nr);
}

double seconds(uint64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

json frames_json(const CallEntry& e, int depth) {
  json py = json::array();
  for (const python::PyFrame& f : e.python) {
    if (py.size() >= static_cast<size_t>(depth)) break;
    py.push_back({{"function", sanitize_utf8(f.function)},
                  {"file", sanitize_utf8(f.filename)},
                  {"line", f.line}});
  }
  return py;
}

json native_json(const CallEntry& e) {
  json out = json::array();
  for (const NativeCallFrame& f : e.native) {
    json j{{"pc", fmt::format("{:#x}", f.pc)}};
    if (!f.module.empty()) {
      j["module"] = sanitize_utf8(f.module);
      j["module_offset"] = fmt::format("{:#x}", f.module_offset);
    }
    if (f.function) {
      j["function"] = sanitize_utf8(*f.function);
      j["offset"] = f.function_offset;
    }
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

JsonTraceWriter::JsonTraceWriter(std::FILE* out, const LineOptions& options, const FdNames& fds)
    : out_(out), options_(options), fds_(fds) {}

void JsonTraceWriter::write_line(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fputc('\n', out_);
}

void JsonTraceWriter::enter(const CallEntry& entry, const MemoryReader& mem) {
  if (options_.decode.fd_detail > 1) fds_.new_call();
  Open o{entry, {}, false};
  if (!entry.in_progress) note_value_result(o.entry.call, mem);
  o.args = decode_entry(entry.call, mem, fds_, options_.decode, &o.more);
  open_[entry.call.tid] = std::move(o);
}

void JsonTraceWriter::leave(pid_t tid, const CallExit& exit, const MemoryReader& mem) {
  auto it = open_.find(tid);
  if (it == open_.end()) return;
  Open o = std::move(it->second);
  open_.erase(it);
  if (!exit.unavailable && o.more) {
    for (std::string& a : decode_exit(o.entry.call, exit.ret, mem, fds_, options_.decode))
      o.args.push_back(std::move(a));
  }
  bool failed = is_error_return(exit.ret);
  uint32_t bit = exit.unavailable ? kStatusUnavailable : failed ? kStatusFailed : kStatusSuccessful;
  if (!(options_.status & bit)) return;
  json j;
  j["time"] = seconds(o.entry.wall_ns);
  j["pid"] = o.entry.tgid;
  j["tid"] = tid;
  j["syscall"] = call_name(o.entry.call.nr);
  json args = json::array();
  for (const std::string& a : o.args) args.push_back(sanitize_utf8(a));
  j["args"] = std::move(args);
  if (exit.unavailable) {
    j["return"] = "?";
  } else {
    j["return"] = sanitize_utf8(format_return(o.entry.call, exit.ret, fds_, options_.decode));
    j["retval"] = exit.ret;
    if (failed) j["errno"] = std::string(errno_name(static_cast<int>(-exit.ret)));
    if (exit.time_ns >= o.entry.time_ns) j["duration"] = seconds(exit.time_ns - o.entry.time_ns);
  }
  if (options_.native) {
    j["native"] = native_json(o.entry);
    if (o.entry.native.empty() && !o.entry.native_error.empty())
      j["native_error"] = sanitize_utf8(o.entry.native_error);
  }
  if (options_.python_depth > 0) {
    j["python"] = frames_json(o.entry, options_.python_depth);
    if (o.entry.python.empty() && !o.entry.python_error.empty())
      j["python_error"] = sanitize_utf8(o.entry.python_error);
  }
  write_line(j.dump(-1, ' ', false, json::error_handler_t::replace));
}

void JsonTraceWriter::signal(const SignalEvent& e) {
  json j{{"time", seconds(e.wall_ns)}, {"tid", e.tid}, {"signal", signal_name(e.signo)}};
  if (e.stopped)
    j["stopped"] = true;
  else
    j["siginfo"] = e.siginfo;
  write_line(j.dump());
}

void JsonTraceWriter::exited(const ExitEvent& e) {
  if (open_.count(e.tid)) {
    CallExit x;
    x.unavailable = true;
    leave(e.tid, x, no_memory());
  }
  json j{{"time", seconds(e.wall_ns)}, {"tid", e.tid}};
  if (e.killed) {
    j["killed"] = signal_name(e.signo);
    if (e.core_dumped) j["core_dumped"] = true;
  } else {
    j["exited"] = e.code;
  }
  write_line(j.dump());
}

void JsonTraceWriter::finish() {
  for (auto& [tid, o] : open_) {
    json j{{"time", seconds(o.entry.wall_ns)},
           {"pid", o.entry.tgid},
           {"tid", tid},
           {"syscall", call_name(o.entry.call.nr)},
           {"unfinished", true}};
    json args = json::array();
    for (const std::string& a : o.args) args.push_back(sanitize_utf8(a));
    j["args"] = std::move(args);
    if (options_.status & kStatusUnfinished) write_line(j.dump());
  }
  open_.clear();
  std::fflush(out_);
}

void JsonTraceWriter::flush() {
  std::fflush(out_);
}

}  // namespace corostack::trace
