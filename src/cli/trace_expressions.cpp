#include "cli/trace_expressions.hpp"

#include <string_view>

#include "trace/line_options.hpp"

namespace corostack {
namespace {

std::optional<uint32_t> parse_status_set(std::string_view spec, std::string& error) {
  bool invert = !spec.empty() && spec.front() == '!';
  if (invert) spec.remove_prefix(1);
  uint32_t bits = 0;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t end = spec.find(',', start);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view word = spec.substr(start, end - start);
    if (word == "successful")
      bits |= trace::kStatusSuccessful;
    else if (word == "failed")
      bits |= trace::kStatusFailed;
    else if (word == "unfinished")
      bits |= trace::kStatusUnfinished;
    else if (word == "unavailable")
      bits |= trace::kStatusUnavailable;
    else if (word == "detached")
      bits |= trace::kStatusDetached;
    else if (word == "all")
      bits |= trace::kStatusAll;
    else if (word == "none")
      bits |= 0;
    else {
      error = "invalid status '" + std::string(word) + "'";
      return std::nullopt;
    }
    start = end + 1;
  }
  return invert ? (~bits & trace::kStatusAll) : bits;
}

}  // namespace

std::optional<TraceExpressions> parse_trace_expressions(const std::vector<std::string>& exprs,
                                                        std::string& error) {
  TraceExpressions out;
  for (const std::string& e : exprs) {
    std::string_view s = e;
    std::string_view kind = "trace";
    if (size_t eq = s.find('='); eq != std::string_view::npos) {
      kind = s.substr(0, eq);
      s.remove_prefix(eq + 1);
    }
    if (kind == "trace" || kind == "t") {
      auto set = trace::parse_syscall_set(s, error);
      if (!set) return std::nullopt;
      out.calls = *set;
      out.all_calls = s == "all";
    } else if (kind == "signal" || kind == "signals" || kind == "s") {
      auto set = trace::parse_signal_set(s, error);
      if (!set) return std::nullopt;
      out.signals = *set;
    } else if (kind == "status") {
      auto bits = parse_status_set(s, error);
      if (!bits) return std::nullopt;
      out.status = *bits;
    } else {
      error = "invalid -e expression '" + e + "' (trace=, signal=, status=)";
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace corostack
