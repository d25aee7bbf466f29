#pragma once
// `top`'s table: per function, the samples in which it is the leaf (own)
// and in which it appears at all (total, once per sample even when
// recursive), over a range of a Profile's samples. Functions are keyed by
// kind, name and file (lines are merged; the line shown is the one seen
// most often as the leaf, else in any position). Root frames standing for
// threads, tasks and processes are not functions and are skipped.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sample/profile.hpp"

namespace corostack::sample {

struct TopRow {
  ProfileFrameKind kind = ProfileFrameKind::kPython;
  std::string name;
  std::string file;
  std::string module;
  int line = 0;
  uint64_t own = 0;    // samples in the range with this function as the leaf
  uint64_t total = 0;  // samples in the range with this function anywhere
  // Over the whole recording so far (for OwnTime / TotalTime).
  uint64_t own_all = 0;
  uint64_t total_all = 0;
};

struct TopTable {
  std::vector<TopRow> rows;
  uint64_t samples = 0;      // samples in the window
  uint64_t samples_all = 0;  // samples in the whole recording
};

// The window is samples [window_begin, end) of `profile`; the *_all counts
// cover [0, end). Rows: every function seen in [0, end).
TopTable build_top_table(const Profile& profile, size_t window_begin, size_t end);

enum class TopSort { kOwnPercent, kTotalPercent, kOwnTime, kTotalTime };
// Descending by the column, ties by name then file.
void sort_top_table(TopTable& table, TopSort by);

struct TopHeader {
  pid_t pid = 0;
  std::string command;
  uint64_t rounds = 0;
  double requested_hz = 0;
  double achieved_hz = 0;
  uint64_t errors = 0;
  uint64_t interval_ns = 0;  // weight of one sample, for the time columns
  bool idle = false;         // the times are wall time, not CPU time
  std::string status;        // e.g. "target exited"
};

// The whole screen as text: header, column titles (the sort column marked),
// at most `max_rows` rows, each cut to `width` columns; target strings escaped.
std::string render_top(const TopTable& table, const TopHeader& header, TopSort sort, size_t width,
                       size_t max_rows);

}  // namespace corostack::sample
