#include "sample/top_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

#include "base/escape.hpp"

namespace corostack::sample {
namespace {

bool is_function(ProfileFrameKind k) {
  return k != ProfileFrameKind::kThread && k != ProfileFrameKind::kTask &&
         k != ProfileFrameKind::kProcess && k != ProfileFrameKind::kInterpreter;
}

std::string seconds(uint64_t samples, uint64_t interval_ns) {
  double s = static_cast<double>(samples) * static_cast<double>(interval_ns) / 1e9;
  return fmt::format("{:.2f}s", s);
}

}  // namespace

TopTable build_top_table(const Profile& profile, size_t window_begin, size_t end) {
  end = std::min(end, profile.samples.size());
  window_begin = std::min(window_begin, end);
  // Frame index -> row (frames differing only by line share one row).
  using Key = std::tuple<ProfileFrameKind, std::string, std::string, std::string>;
  std::map<Key, size_t> row_of_key;
  std::vector<int64_t> row_of_frame(profile.frames.size(), -1);
  TopTable t;
  std::vector<std::map<int, uint64_t>> leaf_lines, any_lines;
  auto row_for = [&](uint32_t f) -> int64_t {
    if (f >= profile.frames.size()) return -1;
    if (row_of_frame[f] >= 0) return row_of_frame[f];
    const ProfileFrame& pf = profile.frames[f];
    if (!is_function(pf.kind)) return -1;
    auto [it, fresh] =
        row_of_key.try_emplace(Key{pf.kind, pf.name, pf.file, pf.module}, t.rows.size());
    if (fresh) {
      TopRow r;
      r.kind = pf.kind;
      r.name = pf.name;
      r.file = pf.file;
      r.module = pf.module;
      t.rows.push_back(std::move(r));
      leaf_lines.emplace_back();
      any_lines.emplace_back();
    }
    row_of_frame[f] = static_cast<int64_t>(it->second);
    return row_of_frame[f];
  };
  std::vector<uint64_t> seen_in(0);  // per row: last sample index + 1 that counted it
  for (size_t i = 0; i < end; ++i) {
    const Sample& s = profile.samples[i];
    if (s.stack >= profile.stacks.size()) continue;
    const std::vector<uint32_t>& st = profile.stacks[s.stack];
    bool in_window = i >= window_begin;
    ++t.samples_all;
    t.samples += in_window;
    for (size_t k = 0; k < st.size(); ++k) {
      int64_t r = row_for(st[k]);
      if (r < 0) continue;
      if (seen_in.size() < t.rows.size()) seen_in.resize(t.rows.size(), 0);
      TopRow& row = t.rows[static_cast<size_t>(r)];
      int line = profile.frames[st[k]].line;
      if (k + 1 == st.size()) {
        ++row.own_all;
        row.own += in_window;
        ++leaf_lines[static_cast<size_t>(r)][line];
      }
      if (seen_in[static_cast<size_t>(r)] != i + 1) {
        seen_in[static_cast<size_t>(r)] = i + 1;
        ++row.total_all;
        row.total += in_window;
        ++any_lines[static_cast<size_t>(r)][line];
      }
    }
  }
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto& lines = leaf_lines[r].empty() ? any_lines[r] : leaf_lines[r];
    uint64_t best = 0;
    for (const auto& [line, n] : lines)
      if (n > best) {
        best = n;
        t.rows[r].line = line;
      }
  }
  return t;
}

void sort_top_table(TopTable& table, TopSort by) {
  auto value = [by](const TopRow& r) {
    switch (by) {
      case TopSort::kOwnPercent:
        return r.own;
      case TopSort::kTotalPercent:
        return r.total;
      case TopSort::kOwnTime:
        return r.own_all;
      case TopSort::kTotalTime:
        return r.total_all;
    }
    return r.own;
  };
  std::stable_sort(table.rows.begin(), table.rows.end(), [&](const TopRow& a, const TopRow& b) {
    if (value(a) != value(b)) return value(a) > value(b);
    // Then by the cumulative figures, so rows idle in this window keep an order.
    if (a.own_all != b.own_all) return a.own_all > b.own_all;
    if (a.total_all != b.total_all) return a.total_all > b.total_all;
    return std::tie(a.name, a.file) < std::tie(b.name, b.file);
  });
}

std::string render_top(const TopTable& table, const TopHeader& h, TopSort sort, size_t width,
                       size_t max_rows) {
  auto cut = [width](std::string s) {
    // Escaped text is ASCII: cutting by bytes is cutting by columns.
    if (width > 0 && s.size() > width) s.resize(width);
    return s + "\n";
  };
  std::string out;
  out += cut(fmt::format("Collecting samples from '{}' (pid: {}){}",
                         escape_for_terminal(h.command, 160), h.pid,
                         h.status.empty() ? "" : "  [" + h.status + "]"));
  out += cut(fmt::format("Samples: {}  Rounds: {}  Rate: {:.0f}/{:g} Hz  Errors: {}  ({})",
                         table.samples_all, h.rounds, h.achieved_hz, h.requested_hz, h.errors,
                         h.idle ? "wall time, idle included" : "CPU time, idle threads left out"));
  out += cut("Keys: 1-4 or o/t/O/T sort by a column, q quits");
  out += "\n";
  const char* titles[] = {"%Own", "%Total", "OwnTime", "TotalTime"};
  std::string head;
  for (int c = 0; c < 4; ++c) {
    std::string t = titles[c];
    if (static_cast<int>(sort) == c) t = "[" + t + "]";
    head += c < 2 ? fmt::format("{:>8} ", t) : fmt::format("{:>11} ", t);
  }
  head += " Function (file:line)";
  out += cut(head);
  double n = table.samples > 0 ? static_cast<double>(table.samples) : 1.0;
  size_t shown = 0;
  for (const TopRow& r : table.rows) {
    if (shown++ >= max_rows) break;
    std::string where;
    if (r.kind == ProfileFrameKind::kPython)
      where = fmt::format(" ({}:{})", escape_for_terminal(r.file, 200), r.line);
    else if (!r.module.empty())
      where = " [" + escape_for_terminal(r.module.substr(r.module.rfind('/') + 1), 100) + "]";
    out += cut(fmt::format(
        "{:>7.1f}% {:>7.1f}% {:>11} {:>11}  {}{}", 100.0 * static_cast<double>(r.own) / n,
        100.0 * static_cast<double>(r.total) / n, seconds(r.own_all, h.interval_ns),
        seconds(r.total_all, h.interval_ns), escape_for_terminal(r.name, 200), where));
  }
  return out;
}

}  // namespace corostack::sample
