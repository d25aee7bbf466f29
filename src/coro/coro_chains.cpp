#include "coro/coro_chains.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace corostack::coro {
namespace {

std::string fmt_address(RemoteAddr a) {
  return fmt::format("{:#x}", a.value());
}

std::string fmt_cycle(const std::vector<CoroFrame>& frames, const std::vector<size_t>& chain,
                      size_t repeat) {
  std::string s = "continuation cycle: ";
  for (size_t i : chain) s += fmt_address(frames[i].address) + " \u2192 ";
  return s + fmt_address(frames[repeat].address);
}

}  // namespace

const char* frame_state_name(FrameState s) {
  switch (s) {
    case FrameState::kSuspended:
      return "suspended";
    case FrameState::kNotStarted:
      return "not_started";
    case FrameState::kRunning:
      return "running";
    case FrameState::kDone:
      return "done";
  }
  return "?";
}

const char* line_source_name(LineSource s) {
  switch (s) {
    case LineSource::kLabel:
      return "label";
    case LineSource::kHeuristic:
      return "heuristic";
    case LineSource::kPc:
      return "pc";
    case LineSource::kDecl:
      return "decl";
    case LineSource::kNone:
      break;
  }
  return "";
}

const char* continuation_kind_name(ContinuationKind k) {
  switch (k) {
    case ContinuationKind::kNone:
      return "none";
    case ContinuationKind::kNull:
      return "null";
    case ContinuationKind::kNoop:
      return "noop";
    case ContinuationKind::kFrame:
      return "frame";
    case ContinuationKind::kUnknown:
      return "unknown";
  }
  return "?";
}

void link_frames(CoroState& state) {
  auto& frames = state.frames;
  std::sort(frames.begin(), frames.end(),
            [](const CoroFrame& a, const CoroFrame& b) { return a.address < b.address; });
  frames.erase(
      std::unique(frames.begin(), frames.end(),
                  [](const CoroFrame& a, const CoroFrame& b) { return a.address == b.address; }),
      frames.end());
  std::unordered_map<uint64_t, size_t> at;
  for (size_t i = 0; i < frames.size(); ++i) at.emplace(frames[i].address.value(), i);
  std::vector<bool> continued_to(frames.size(), false);
  for (CoroFrame& f : frames) {
    if (!f.continuation || f.continuation_kind != ContinuationKind::kUnknown) continue;
    auto it = at.find(*f.continuation);
    if (it == at.end()) continue;
    f.parent = it->second;
    f.continuation_kind = ContinuationKind::kFrame;
    continued_to[it->second] = true;
  }
  state.chains.clear();
  for (size_t leaf = 0; leaf < frames.size(); ++leaf) {
    if (continued_to[leaf]) continue;
    std::vector<size_t> chain;
    std::unordered_set<size_t> seen;
    for (std::optional<size_t> i = leaf; i; i = frames[*i].parent) {
      if (!seen.insert(*i).second) {
        state.warnings.push_back(fmt_cycle(frames, chain, *i));
        break;
      }
      chain.push_back(*i);
    }
    state.chains.push_back(std::move(chain));
  }
  // Frames on a pure cycle are continued to by each other: no leaf reaches
  // them. Report each such cycle once, as a chain of its own.
  std::vector<bool> in_chain(frames.size(), false);
  for (const auto& c : state.chains)
    for (size_t i : c) in_chain[i] = true;
  for (size_t start = 0; start < frames.size(); ++start) {
    if (in_chain[start]) continue;
    std::vector<size_t> chain;
    for (std::optional<size_t> i = start; i && !in_chain[*i]; i = frames[*i].parent) {
      in_chain[*i] = true;
      chain.push_back(*i);
    }
    state.warnings.push_back("continuation cycle through the frame at " +
                             fmt_address(frames[start].address));
    state.chains.push_back(std::move(chain));
  }
}

void assign_lines(CoroState& state) {
  for (CoroFrame& f : state.frames) {
    if (f.state == FrameState::kRunning) continue;
    const CoroutineInfo& info = *f.info;
    f.file = info.decl_file;
    f.line = info.decl_line;
    f.line_source = info.decl_line ? LineSource::kDecl : LineSource::kNone;
    if (f.state != FrameState::kSuspended || !f.index) continue;
    for (const SuspendPoint& p : info.suspend_points) {
      if (p.index != *f.index || p.line <= 0) continue;
      f.file = p.file.empty() ? info.decl_file : p.file;
      f.line = p.line;
      f.line_source =
          info.precision == LinePrecision::kLabels ? LineSource::kLabel : LineSource::kHeuristic;
      break;
    }
  }
}

}  // namespace corostack::coro
