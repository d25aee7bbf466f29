#include "render/json_renderer.hpp"

#include <fmt/format.h>

#include "base/escape.hpp"
#include "base/hex.hpp"
#include "base/paths.hpp"
#include "render/async_summary.hpp"

namespace corostack {
namespace {

using nlohmann::json;

json optional_string(const std::string& s) {
  return s.empty() ? json(nullptr) : json(sanitize_utf8(s));
}

json python_frame_json(const Frame& f) {
  json j;
  j["kind"] = "python";
  j["address"] = hex_address(f.pc);
  j["function"] = f.function ? json(sanitize_utf8(*f.function)) : json(nullptr);
  j["file"] = sanitize_utf8(f.file);
  j["short_filename"] = sanitize_utf8(path_basename(f.file));
  j["line"] = f.line > 0 ? json(f.line) : json(nullptr);
  if (f.column && f.end_column)
    j["position"] = {
        {"end_line", f.end_line}, {"column", *f.column}, {"end_column", *f.end_column}};
  j["interpreter"] = f.interpreter >= 0 ? json(f.interpreter) : json(nullptr);
  if (!f.locals.empty()) {
    json locals = json::array();
    for (const Local& l : f.locals)
      locals.push_back(
          {{"name", sanitize_utf8(l.name)}, {"repr", sanitize_utf8(l.repr)}, {"arg", l.argument}});
    j["locals"] = locals;
  }
  if (!f.source.empty()) {
    json source = json::array();
    for (const SourceLine& s : f.source)
      source.push_back({{"line", s.line}, {"text", sanitize_utf8(s.text)}, {"current", s.current}});
    j["source"] = std::move(source);
    j["source_changed"] = f.source_changed;
  }
  return j;
}

json frame_json(const Frame& f) {
  if (f.kind == FrameKind::kPython) return python_frame_json(f);
  if (f.kind == FrameKind::kAsync) {
    json a;
    a["kind"] = "async";
    a["frame"] = hex_address(f.pc);  // the coroutine frame's address
    a["function"] = f.function ? json(sanitize_utf8(*f.function)) : json(nullptr);
    a["module"] = optional_string(f.module);
    a["file"] = optional_string(f.file);
    a["line"] = f.line > 0 ? json(f.line) : json(nullptr);
    if (!f.locals.empty()) {
      json locals = json::array();
      for (const Local& l : f.locals)
        locals.push_back(
            {{"name", sanitize_utf8(l.name)}, {"repr", sanitize_utf8(l.repr)}, {"arg", false}});
      a["locals"] = std::move(locals);
    }
    return a;
  }
  json j;
  j["kind"] = "native";
  j["pc"] = hex_address(f.pc);
  j["function"] = f.function ? json(sanitize_utf8(*f.function)) : json(nullptr);
  j["offset"] = f.offset ? json(*f.offset) : json(nullptr);
  j["module"] = optional_string(f.module);
  j["file"] = optional_string(f.file);
  j["line"] = f.file.empty() ? json(nullptr) : json(f.line);
  j["inlined"] = f.inlined;
  j["tail_call"] = f.tail_call;
  if (!f.locals.empty()) {
    json locals = json::array();
    for (const Local& l : f.locals) {
      json v = {
          {"name", sanitize_utf8(l.name)}, {"repr", sanitize_utf8(l.repr)}, {"arg", l.argument}};
      if (l.entry_value) v["entry_value"] = sanitize_utf8(*l.entry_value);
      locals.push_back(std::move(v));
    }
    j["locals"] = std::move(locals);
  }
  return j;
}

json crash_json(const CrashInfo& c) {
  json j = {
      {"signal", c.signo},
      {"signal_name", c.signal_name},
      {"description", c.description},
      {"code", c.code ? json(*c.code) : json(nullptr)},
      {"code_text", sanitize_utf8(c.code_text)},
      {"fault_address", c.fault_address ? json(hex_address(*c.fault_address)) : json(nullptr)},
      {"thread", c.thread},
      {"stack_overflow", c.stack_overflow},
      {"abort_message", sanitize_utf8(c.abort_message)},
      {"headline", c.headline()}};
  return j;
}

json thread_json(const ThreadSnapshot& t) {
  json j;
  j["tid"] = t.tid;
  j["name"] = sanitize_utf8(t.name);
  j["comm"] = sanitize_utf8(t.comm);
  j["state"] = std::string(1, t.state);
  j["state_name"] = state_name(t.state);
  j["is_main"] = t.is_main;
  if (t.syscall) {
    json args = json::array();
    for (uint64_t a : t.syscall->args) args.push_back(hex_address(a));
    j["syscall"] = {{"nr", t.syscall->nr}, {"name", t.syscall->name}, {"args", args}};
    if (!t.syscall->fd_name.empty())
      j["syscall"]["fd"] = {{"number", t.syscall->args[0]},
                            {"name", sanitize_utf8(t.syscall->fd_name)}};
  } else {
    j["syscall"] = nullptr;
  }
  j["active"] = t.state == 'R' || t.state == 'D';
  j["may_be_torn"] = t.may_be_torn;
  if (t.python) {
    j["python"] = {{"thread_id", t.python->thread_id},
                   {"owns_gil", t.python->holds_gil},
                   {"gc_collecting", t.python->gc_collecting}};
  } else {
    j["python"] = nullptr;
  }
  j["frames"] = json::array();
  for (const Frame& f : t.frames) j["frames"].push_back(frame_json(f));
  j["errors"] = json::array();
  for (const std::string& e : t.errors) j["errors"].push_back(sanitize_utf8(e));
  return j;
}

// `dump --async`: the loops a thread runs (ident 0: loops on no thread).
json loops_json(const asyncio::AsyncioState& s, uint64_t ident) {
  json loops = json::array();
  for (const LoopSummary& sum : summarize_loops(s, ident)) {
    json by = json::array();
    for (const auto& [what, n] : sum.by_awaitable)
      by.push_back({{"awaitable", sanitize_utf8(what)}, {"count", n}});
    json running = nullptr;
    if (sum.running)
      running = {{"id", hex_address(sum.running->address.value())},
                 {"name", sanitize_utf8(sum.running->name)}};
    loops.push_back({{"id", hex_address(sum.loop->address.value())},
                     {"type", sanitize_utf8(sum.loop->type)},
                     {"running_task", running},
                     {"suspended", sum.suspended},
                     {"finished", sum.finished},
                     {"by_awaitable", by}});
  }
  return loops;
}

json unawaited_json(const asyncio::AsyncioState& s) {
  json out = json::array();
  for (const asyncio::UnawaitedCoroutine& c : s.unawaited)
    out.push_back({{"id", hex_address(c.address.value())},
                   {"qualname", sanitize_utf8(c.qualname)},
                   {"file", sanitize_utf8(c.filename)},
                   {"line", c.line > 0 ? json(c.line) : json(nullptr)}});
  return out;
}

}  // namespace

json snapshot_to_json(const ProcessSnapshot& snap) {
  json j;
  j["schema"] = 1;
  j["corostack_version"] = COROSTACK_VERSION;
  json source = {{"kind", snap.source == TargetKind::kCore   ? "core"
                          : snap.source == TargetKind::kLive ? "live"
                                                             : "fake"},
                 {"pid", snap.pid}};
  if (snap.source == TargetKind::kCore) source["core_path"] = sanitize_utf8(snap.core_path);
  j["source"] = source;
  j["process"] = {{"pid", snap.pid},
                  {"command", sanitize_utf8(snap.command)},
                  {"command_line", sanitize_utf8(snap.command_line)},
                  {"exe", sanitize_utf8(snap.exe)}};
  j["pause_ns"] = snap.pause_ns;
  j["crash"] = snap.crash ? crash_json(*snap.crash) : json(nullptr);
  if (snap.python) {
    json errors = json::array();
    for (const std::string& e : snap.python->errors) errors.push_back(sanitize_utf8(e));
    j["python"] = {
        {"version", snap.python->version},
        {"module", sanitize_utf8(snap.python->module)},
        {"layout", snap.python->layout_source},
        {"gc_collecting",
         snap.python->gc_collecting ? json(*snap.python->gc_collecting) : json(nullptr)},
        {"gil_known", snap.python->gil_known},
        {"free_threaded", snap.python->free_threaded},
        {"gil_enabled", snap.python->gil_enabled ? json(*snap.python->gil_enabled) : json(nullptr)},
        {"finalizing", snap.python->finalizing},
        {"interpreters", snap.python->interpreters},
        {"errors", errors}};
  } else {
    j["python"] = nullptr;
  }
  j["complete"] = snap.complete();
  j["threads"] = json::array();
  for (const ThreadSnapshot& t : snap.threads) {
    json tj = thread_json(t);
    if (snap.asyncio) tj["asyncio"] = loops_json(*snap.asyncio, t.python ? t.python->thread_id : 0);
    j["threads"].push_back(std::move(tj));
  }
  if (snap.asyncio) {
    j["asyncio"] = {{"idle_loops", loops_json(*snap.asyncio, 0)},
                    {"unawaited", unawaited_json(*snap.asyncio)},
                    {"errors", json::array()}};
    for (const std::string& e : snap.asyncio->errors)
      j["asyncio"]["errors"].push_back(sanitize_utf8(e));
  }
  j["warnings"] = json::array();
  for (const std::string& w : snap.warnings) j["warnings"].push_back(sanitize_utf8(w));
  return j;
}

void render_json(const ProcessSnapshot& snap, std::ostream& out) {
  // replace: belt and braces; sanitize_utf8 already made every string valid.
  out << snapshot_to_json(snap).dump(2, ' ', false, json::error_handler_t::replace) << '\n';
}

}  // namespace corostack
