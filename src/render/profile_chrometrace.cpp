// Chrome Trace Event Format (object form, {"traceEvents": [...]}), as read by
// chrome://tracing, Perfetto and speedscope. Per thread, spans are rebuilt
// from consecutive samples: a frame that stays on the stack from one sample
// to the next is one B/E pair (so B/E nest per thread by construction); a gap
// of more than two intervals without a sample of that thread closes
// everything at the last sample + one interval. Each run of consecutive
// samples attributed to one asyncio task is an async b/e pair (cat
// "asyncio", id per thread and task). Thread and process names are "M"
// events; ts in µs. At most kMaxSpans spans: past that, the trace stops (all
// spans closed) and otherData says where.
#include <fmt/format.h>

#include <set>

#include "render/profile_aggregate.hpp"

namespace corostack::profile_out {
namespace {

// At most this many spans (B/E pairs, ~150 MB): a profile whose stacks
// change completely at every sample stops there, noted in otherData.
constexpr size_t kMaxSpans = 1'000'000;

struct ThreadState {
  std::string begin, end, async_begin, async_end;  // event heads
  pid_t tid = 0;
  std::vector<uint32_t> open;  // frame indices, root first
  int32_t task = -1;           // task of the current run
  uint64_t last_ns = 0;
  bool seen = false;
};

// Microseconds with three decimals, from nanoseconds.
void append_ts(std::string& buf, uint64_t ns) {
  append_uint(buf, ns / 1000);
  uint64_t frac = ns % 1000;
  buf += '.';
  buf += static_cast<char>('0' + frac / 100);
  buf += static_cast<char>('0' + frac / 10 % 10);
  buf += static_cast<char>('0' + frac % 10);
}

}  // namespace

bool write_chrometrace(const sample::Profile& profile, std::ostream& out, std::string& error) {
  const uint64_t interval = sample_weight_ns(profile);
  const uint64_t gap = profile.interval_ns() > 0 ? 2 * profile.interval_ns() : UINT64_MAX;

  // Each frame's `"name":…,"cat":…,"args":{…}}` once.
  std::vector<std::string> frag(profile.frames.size());
  auto frame_fragment = [&](uint32_t f) -> const std::string& {
    std::string& s = frag[f];
    if (s.empty()) {
      const sample::ProfileFrame& frame = profile.frames[f];
      s += ",\"name\":";
      append_json_string(s, frame.name.empty() ? frame_label(frame) : frame.name);
      s += ",\"cat\":\"";
      s += sample::frame_kind_name(frame.kind);
      s += "\",\"args\":{";
      bool any = false;
      if (!frame.file.empty()) {
        s += "\"filename\":";
        append_json_string(s, frame.file);
        any = true;
      }
      if (frame.line > 0) {
        fmt::format_to(std::back_inserter(s), "{}\"line\":{}", any ? "," : "", frame.line);
        any = true;
      }
      if (!frame.module.empty()) {
        s += any ? ",\"module\":" : "\"module\":";
        append_json_string(s, frame.module);
      }
      s += "}}";
    }
    return s;
  };
  std::vector<std::string> task_names(profile.tasks.size());
  for (size_t t = 0; t < profile.tasks.size(); ++t)
    append_json_string(task_names[t], profile.tasks[t]);

  ChunkedWriter w(out);
  std::string& buf = w.buf();
  buf += "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[";
  bool first = true;
  // Event heads: `{"ph":"X","pid":P,"tid":T,"ts":` per thread and phase.
  auto head = [&](const std::string& prefix, uint64_t ts) {
    buf += first ? "\n" : ",\n";
    first = false;
    buf += prefix;
    append_ts(buf, ts);
  };
  auto make_prefix = [](const char* ph, pid_t pid, pid_t tid) {
    return fmt::format("{{\"ph\":\"{}\",\"pid\":{},\"tid\":{},\"ts\":", ph, pid, tid);
  };

  // Metadata: process and thread names.
  std::vector<ThreadState> state(profile.threads.size());
  std::set<pid_t> pids;
  for (size_t t = 0; t < profile.threads.size(); ++t) {
    const sample::ProfileThread& th = profile.threads[t];
    pid_t pid = th.pid != 0 ? th.pid : profile.pid;
    ThreadState& st = state[t];
    st.begin = make_prefix("B", pid, th.tid);
    st.end = make_prefix("E", pid, th.tid);
    st.async_begin = make_prefix("b", pid, th.tid);
    st.async_end = make_prefix("e", pid, th.tid);
    st.tid = th.tid;
    if (pids.insert(pid).second) {
      head(make_prefix("M", pid, pid), 0);
      buf += ",\"name\":\"process_name\",\"args\":{\"name\":";
      append_json_string(buf, pid == profile.pid && !profile.command.empty()
                                  ? profile.command
                                  : fmt::format("process {}", pid));
      buf += "}}";
    }
    head(make_prefix("M", pid, th.tid), 0);
    buf += ",\"name\":\"thread_name\",\"args\":{\"name\":";
    append_json_string(buf, th.name.empty() ? fmt::format("thread {}", th.tid) : th.name);
    buf += "}}";
    head(make_prefix("M", pid, th.tid), 0);
    fmt::format_to(std::back_inserter(buf),
                   ",\"name\":\"thread_sort_index\",\"args\":{{\"sort_index\":{}}}}}", t);
  }

  auto close_to = [&](ThreadState& st, size_t keep, uint64_t ts) {
    while (st.open.size() > keep) {
      head(st.end, ts);
      buf += '}';
      st.open.pop_back();
    }
  };
  // An async id per (thread, task): tasks are interned by name, and two
  // threads may run tasks of the same name at once.
  auto task_event = [&](ThreadState& st, const std::string& prefix, int32_t task, uint64_t ts) {
    head(prefix, ts);
    fmt::format_to(std::back_inserter(buf), ",\"cat\":\"asyncio\",\"id\":\"0x{:x}\",\"name\":",
                   (static_cast<uint64_t>(static_cast<uint32_t>(st.tid)) << 24) |
                       static_cast<uint64_t>(task + 1));
    buf += task_names[static_cast<size_t>(task)];
    buf += '}';
  };
  auto switch_task = [&](ThreadState& st, int32_t task, uint64_t ts) {
    if (st.task == task) return;
    if (st.task >= 0) task_event(st, st.async_end, st.task, ts);
    if (task >= 0) task_event(st, st.async_begin, task, ts);
    st.task = task;
  };

  size_t spans = 0;
  bool truncated = false;
  uint64_t truncated_ns = 0;
  for (const sample::Sample& s : profile.samples) {
    ThreadState& st = state[s.thread];
    if (st.seen && s.time_ns > st.last_ns && s.time_ns - st.last_ns > gap) {
      uint64_t end = st.last_ns + interval;
      close_to(st, 0, end);
      switch_task(st, -1, end);
    }
    const std::vector<uint32_t>& stack = profile.stacks[s.stack];
    size_t common = 0;
    while (common < st.open.size() && common < stack.size() && st.open[common] == stack[common])
      ++common;
    if (spans + (stack.size() - common) > kMaxSpans) {
      truncated = true;
      truncated_ns = s.time_ns;
      break;
    }
    close_to(st, common, s.time_ns);
    switch_task(st, s.task, s.time_ns);
    for (size_t i = common; i < stack.size(); ++i) {
      head(st.begin, s.time_ns);
      buf += frame_fragment(stack[i]);
      st.open.push_back(stack[i]);
      ++spans;
    }
    st.last_ns = std::max(st.last_ns, s.time_ns);
    st.seen = true;
    w.maybe_flush();
  }
  for (ThreadState& st : state) {
    if (!st.seen) continue;
    uint64_t end = truncated ? std::max(truncated_ns, st.last_ns) : st.last_ns + interval;
    close_to(st, 0, end);
    switch_task(st, -1, end);
  }
  buf += "\n],\"otherData\":{\"exporter\":\"corostack@" COROSTACK_VERSION "\",\"command\":";
  append_json_string(buf, profile.command);
  fmt::format_to(std::back_inserter(buf),
                 ",\"start_unix_ns\":{},\"interval_ns\":{},\"weight\":\"{}\"",
                 profile.start_unix_ns, profile.interval_ns(), profile.wall_time ? "wall" : "cpu");
  if (truncated) {
    fmt::format_to(std::back_inserter(buf), ",\"truncated_at_ns\":{},\"max_spans\":{}",
                   truncated_ns, kMaxSpans);
  }
  buf += "}}\n";
  return w.finish(error);
}

}  // namespace corostack::profile_out
