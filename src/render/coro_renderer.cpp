#include "render/coro_renderer.hpp"

#include <fmt/format.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "base/escape.hpp"
#include "base/hex.hpp"
#include "base/paths.hpp"

namespace corostack {
namespace {

using coro::CoroFrame;
using coro::FrameState;

std::string where(const CoroFrame& f) {
  if (f.line <= 0) return "??";
  return escape_for_terminal(path_basename(f.file)) + ":" + std::to_string(f.line);
}

std::string status(const CoroFrame& f) {
  switch (f.state) {
    case FrameState::kRunning:
      return fmt::format("running on thread {}", f.thread);
    case FrameState::kDone:
      return "done";
    case FrameState::kNotStarted:
      return "not started";
    case FrameState::kSuspended:
      break;
  }
  if (!f.index) return "suspended";
  std::string s = fmt::format("suspended at suspend point #{}", *f.index);
  if (f.line_source == coro::LineSource::kDecl || f.line_source == coro::LineSource::kNone)
    s += " (line unknown: function shown)";
  return s;
}

void promise_lines(const CoroFrame& f, const std::string& indent, std::ostream& out) {
  for (const coro::PromiseValue& v : f.promise_values)
    out << indent << escape_for_terminal(v.name) << " = " << escape_for_terminal(v.value, 1024)
        << '\n';
}

// coro --locals: what the frame keeps across suspension points.
void locals_lines(const CoroFrame& f, const std::string& indent, std::ostream& out) {
  if (f.locals.empty()) return;
  if (f.compiler_named)
    out << indent
        << "(some slots carry names the compiler made up: the debug info does not say which "
           "variable they hold)\n";
  for (const coro::PromiseValue& v : f.locals)
    out << indent << escape_for_terminal(v.name) << " = "
        << escape_for_terminal(v.value, 64 * 1024, true) << '\n';
}

void frame_line(const CoroFrame& f, size_t n, bool promise_values, std::ostream& out) {
  out << fmt::format("  #{:<3} ", n) << describe_coro_frame(f) << "\n        frame "
      << hex_address(f.address.value()) << "  promise "
      << escape_for_terminal(f.info->promise_type.empty() ? "?" : f.info->promise_type) << " at "
      << hex_address(f.promise.value()) << '\n';
  if (promise_values) promise_lines(f, "          ", out);
  locals_lines(f, "          ", out);
}

// The chain's end, after its outermost frame.
std::string chain_end(const CoroFrame& outer) {
  switch (outer.continuation_kind) {
    case coro::ContinuationKind::kNoop:
      return "then: noop coroutine (nothing awaits it)";
    case coro::ContinuationKind::kNull:
      return "then: no continuation (null)";
    case coro::ContinuationKind::kUnknown:
      return "then: continuation " + hex_address(*outer.continuation) + " (not a known frame)";
    case coro::ContinuationKind::kFrame:
      return "then: cycle";
    case coro::ContinuationKind::kNone:
      break;
  }
  return "";
}

}  // namespace

std::string describe_coro_frame(const CoroFrame& f) {
  return escape_for_terminal(f.info->name) + "  " + where(f) + "  [" + status(f) + "]";
}

void render_coro_text(const CoroSnapshot& snap, bool promise_values, std::ostream& out) {
  const auto& s = snap.coro;
  out << fmt::format(
      "Process {}: {} coroutine frame{} in {} chain{} ({} coroutine functions; "
      "scanned {:.1f} MiB in {:.1f} ms",
      snap.process.pid, s.frames.size(), s.frames.size() == 1 ? "" : "s", s.chains.size(),
      s.chains.size() == 1 ? "" : "s", s.coroutines_known, s.scan.bytes / 1048576.0,
      s.scan.ns / 1e6);
  if (snap.process.source == TargetKind::kLive)
    out << fmt::format(", paused {:.2f} ms", snap.process.pause_ns / 1e6);
  out << ")\n";
  for (size_t c = 0; c < s.chains.size(); ++c) {
    const auto& chain = s.chains[c];
    out << fmt::format("\nAsync stack {} ({} frame{})\n", c + 1, chain.size(),
                       chain.size() == 1 ? "" : "s");
    for (size_t i = 0; i < chain.size(); ++i)
      frame_line(s.frames[chain[i]], i, promise_values, out);
    std::string end = chain_end(s.frames[chain.back()]);
    if (!end.empty()) out << "        " << end << '\n';
  }
}

// The frames as a forest: each outermost coroutine (nothing continues it,
// or its continuation is noop/null/unknown) with the frames that resume it
// when they finish hanging under it, down to the leaves.
void render_coro_tree(const CoroSnapshot& snap, bool promise_values, std::ostream& out) {
  const auto& s = snap.coro;
  std::vector<std::vector<size_t>> children(s.frames.size());
  for (size_t i = 0; i < s.frames.size(); ++i)
    if (s.frames[i].parent) children[*s.frames[i].parent].push_back(i);
  std::vector<bool> printed(s.frames.size(), false);
  std::function<void(size_t, const std::string&, bool, bool)> print =
      [&](size_t n, const std::string& prefix, bool root, bool last) {
        printed[n] = true;
        const CoroFrame& f = s.frames[n];
        out << prefix
            << (root   ? ""
                : last ? "\u2514\u2500\u2500 "
                       : "\u251c\u2500\u2500 ")
            << describe_coro_frame(f) << "  " << hex_address(f.address.value()) << '\n';
        std::string next = root ? prefix : prefix + (last ? "    " : "\u2502   ");
        if (promise_values) promise_lines(f, next + "    ", out);
        locals_lines(f, next + "    ", out);
        for (size_t c = 0; c < children[n].size(); ++c)
          if (!printed[children[n][c]])
            print(children[n][c], next, false, c + 1 == children[n].size());
      };
  for (size_t i = 0; i < s.frames.size(); ++i)
    if (!s.frames[i].parent) print(i, "", true, true);
  // Frames on a continuation cycle have no outermost frame.
  for (size_t i = 0; i < s.frames.size(); ++i) {
    if (printed[i]) continue;
    out << "(continuation cycle)\n";
    print(i, "", true, true);
  }
}

// A JSON string: target bytes made valid UTF-8, then escaped.
std::string jstr(const std::string& s) {
  return nlohmann::json(sanitize_utf8(s)).dump();
}

// Streamed by hand, one frame per line: 100 000 frames as nlohmann trees
// cost seconds and hundreds of MiB; this is a tenth of that.
void render_coro_json(const CoroSnapshot& snap, std::ostream& out) {
  using nlohmann::json;
  const auto& s = snap.coro;
  json j;
  j["pid"] = snap.process.pid;
  j["pause_ns"] = snap.process.pause_ns;
  j["scan"] = {{"bytes", s.scan.bytes},
               {"regions", s.scan.regions},
               {"ns", s.scan.ns},
               {"candidates", s.scan.candidates},
               {"rejected", s.scan.rejected},
               {"unreadable_bytes", s.scan.unreadable}};
  j["coroutine_functions"] = s.coroutines_known;
  json errors = json::array(), warnings = json::array();
  for (const std::string& e : s.errors) errors.push_back(sanitize_utf8(e));
  for (const std::string& w : s.warnings) warnings.push_back(sanitize_utf8(w));
  for (const std::string& w : snap.process.warnings) warnings.push_back(sanitize_utf8(w));
  j["errors"] = errors;
  j["warnings"] = warnings;
  std::string head = j.dump();
  head.pop_back();  // the closing brace
  out << head;

  // Per coroutine function, the parts every frame of it shares.
  std::unordered_map<const coro::CoroutineInfo*, std::string> shared;
  fmt::memory_buffer buf;
  out << ",\"frames\":[";
  for (size_t i = 0; i < s.frames.size(); ++i) {
    const CoroFrame& f = s.frames[i];
    auto [it, fresh] = shared.try_emplace(f.info);
    if (fresh) {
      it->second = fmt::format("\"function\":{},\"ramp\":{},\"module\":{}", jstr(f.info->name),
                               jstr(f.info->ramp_linkage), jstr(snap.catalog->module_of(f.info)));
    }
    buf.clear();
    auto o = std::back_inserter(buf);
    fmt::format_to(o, "{}\n{{\"address\":\"{:#x}\",{},\"state\":\"{}\",", i ? "," : "",
                   f.address.value(), it->second, coro::frame_state_name(f.state));
    if (f.index) {
      fmt::format_to(o, "\"index\":{},", *f.index);
    } else {
      fmt::format_to(o, "\"index\":null,");
    }
    fmt::format_to(o, "\"file\":{},\"line\":{},\"line_source\":{},\"thread\":{},",
                   f.file.empty() ? "null" : jstr(f.file),
                   f.line > 0 ? std::to_string(f.line) : "null",
                   f.line_source == coro::LineSource::kNone
                       ? "null"
                       : "\"" + std::string(coro::line_source_name(f.line_source)) + "\"",
                   f.thread ? std::to_string(f.thread) : "null");
    fmt::format_to(o, "\"promise\":{{\"address\":\"{:#x}\",\"type\":{},\"offset\":{}",
                   f.promise.value(), jstr(f.info->promise_type), f.info->promise_offset);
    if (!f.promise_values.empty()) {
      fmt::format_to(o, ",\"members\":[");
      for (size_t k = 0; k < f.promise_values.size(); ++k)
        fmt::format_to(o, "{}{{\"name\":{},\"value\":{}}}", k ? "," : "",
                       jstr(f.promise_values[k].name), jstr(f.promise_values[k].value));
      fmt::format_to(o, "]");
    }
    fmt::format_to(o, "}}");
    if (!f.locals.empty()) {
      fmt::format_to(o, ",\"locals\":[");
      for (size_t k = 0; k < f.locals.size(); ++k)
        fmt::format_to(o, "{}{{\"name\":{},\"value\":{}}}", k ? "," : "", jstr(f.locals[k].name),
                       jstr(f.locals[k].value));
      fmt::format_to(o, "],\"compiler_named\":{}", f.compiler_named);
    }
    fmt::format_to(o, ",\"continuation\":{},\"continuation_kind\":\"{}\"}}",
                   f.continuation ? fmt::format("\"{:#x}\"", *f.continuation) : "null",
                   coro::continuation_kind_name(f.continuation_kind));
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  }
  out << "\n],\"chains\":[";
  for (size_t c = 0; c < s.chains.size(); ++c) {
    buf.clear();
    auto o = std::back_inserter(buf);
    fmt::format_to(o, "{}\n[", c ? "," : "");
    for (size_t k = 0; k < s.chains[c].size(); ++k)
      fmt::format_to(o, "{}\"{:#x}\"", k ? "," : "", s.frames[s.chains[c][k]].address.value());
    fmt::format_to(o, "]");
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  }
  out << "\n]}\n";
}

}  // namespace corostack
