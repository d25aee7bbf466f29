#include "render/coro_renderer.hpp"

#include <fmt/format.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "base/escape.hpp"

namespace corostack {
namespace {

using coro::CoroFrame;
using coro::FrameState;

std::string hex(uint64_t v) {
  return fmt::format("{:#x}", v);
}

std::string basename_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string where(const CoroFrame& f) {
  if (f.line <= 0) return "??";
  return escape_for_terminal(basename_of(f.file)) + ":" + std::to_string(f.line);
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

void frame_line(const CoroFrame& f, size_t n, bool promise_values, std::ostream& out) {
  out << fmt::format("  #{:<3} ", n) << describe_coro_frame(f) << "\n        frame "
      << hex(f.address.value()) << "  promise "
      << escape_for_terminal(f.info->promise_type.empty() ? "?" : f.info->promise_type) << " at "
      << hex(f.promise.value()) << '\n';
  if (promise_values) promise_lines(f, "          ", out);
}

// The chain's end, after its outermost frame.
std::string chain_end(const CoroFrame& outer) {
  switch (outer.continuation_kind) {
    case coro::ContinuationKind::kNoop:
      return "then: noop coroutine (nothing awaits it)";
    case coro::ContinuationKind::kNull:
      return "then: no continuation (null)";
    case coro::ContinuationKind::kUnknown:
      return "then: continuation " + hex(*outer.continuation) + " (not a known frame)";
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
            << describe_coro_frame(f) << "  " << hex(f.address.value()) << '\n';
        std::string next = root ? prefix : prefix + (last ? "    " : "\u2502   ");
        if (promise_values) promise_lines(f, next + "    ", out);
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
  json frames = json::array();
  for (const CoroFrame& f : s.frames) {
    json promise = {{"address", hex(f.promise.value())},
                    {"type", sanitize_utf8(f.info->promise_type)},
                    {"offset", f.info->promise_offset}};
    if (!f.promise_values.empty()) {
      json members = json::array();
      for (const coro::PromiseValue& v : f.promise_values)
        members.push_back({{"name", sanitize_utf8(v.name)}, {"value", sanitize_utf8(v.value)}});
      promise["members"] = members;
    }
    frames.push_back({{"address", hex(f.address.value())},
                      {"function", sanitize_utf8(f.info->name)},
                      {"ramp", sanitize_utf8(f.info->ramp_linkage)},
                      {"module", sanitize_utf8(snap.catalog->module_of(f.info))},
                      {"state", coro::frame_state_name(f.state)},
                      {"index", f.index ? json(*f.index) : json(nullptr)},
                      {"file", f.file.empty() ? json(nullptr) : json(sanitize_utf8(f.file))},
                      {"line", f.line > 0 ? json(f.line) : json(nullptr)},
                      {"line_source", f.line_source == coro::LineSource::kNone
                                          ? json(nullptr)
                                          : json(coro::line_source_name(f.line_source))},
                      {"thread", f.thread ? json(f.thread) : json(nullptr)},
                      {"promise", promise},
                      {"continuation", f.continuation ? json(hex(*f.continuation)) : json(nullptr)},
                      {"continuation_kind", coro::continuation_kind_name(f.continuation_kind)}});
  }
  j["frames"] = frames;
  json chains = json::array();
  for (const auto& c : s.chains) {
    json ids = json::array();
    for (size_t i : c) ids.push_back(hex(s.frames[i].address.value()));
    chains.push_back(ids);
  }
  j["chains"] = chains;
  json errors = json::array(), warnings = json::array();
  for (const std::string& e : s.errors) errors.push_back(sanitize_utf8(e));
  for (const std::string& w : s.warnings) warnings.push_back(sanitize_utf8(w));
  for (const std::string& w : snap.process.warnings) warnings.push_back(sanitize_utf8(w));
  j["errors"] = errors;
  j["warnings"] = warnings;
  out << j.dump(1) << '\n';
}

}  // namespace corostack
