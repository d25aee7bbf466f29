// speedscope's file format (https://www.speedscope.app/file-format-schema.json):
// shared frames {name, file, line} de-duplicated, one "sampled" profile per
// thread, plus one per asyncio task when samples carry tasks. Samples are
// frame indices root first; consecutive identical stacks are merged into one
// sample whose weight is their summed duration (unit nanoseconds).
//
// Written by hand (not through nlohmann::json): a million samples must take
// well under a second, so each stack's index list is formatted once.
#include <fmt/format.h>

#include <map>
#include <tuple>

#include "render/profile_aggregate.hpp"

namespace corostack::profile_out {
namespace {

struct SpeedscopeProfile {
  std::string name;
  std::vector<uint32_t> stacks;   // merged consecutive samples
  std::vector<uint64_t> weights;  // their durations
  uint64_t total = 0;

  void add(uint32_t stack, uint64_t weight) {
    if (!stacks.empty() && stacks.back() == stack) {
      weights.back() += weight;
    } else {
      stacks.push_back(stack);
      weights.push_back(weight);
    }
    total += weight;
  }
};

}  // namespace

bool write_speedscope(const sample::Profile& profile, std::ostream& out, std::string& error) {
  const uint64_t weight = sample_weight_ns(profile);

  // Shared frames, keyed by what speedscope shows (name, file, line).
  std::map<std::tuple<std::string, std::string, int>, uint32_t> shared_ids;
  std::vector<uint32_t> shared_of_frame(profile.frames.size());
  std::string frames_json;
  for (size_t f = 0; f < profile.frames.size(); ++f) {
    const sample::ProfileFrame& frame = profile.frames[f];
    std::string name = frame.name.empty() ? frame_label(frame) : frame.name;
    std::string file = !frame.file.empty() ? frame.file : frame.module;
    auto [it, added] = shared_ids.try_emplace({name, file, frame.line}, shared_ids.size());
    shared_of_frame[f] = it->second;
    if (!added) continue;
    if (it->second > 0) frames_json += ',';
    frames_json += "{\"name\":";
    append_json_string(frames_json, name);
    if (!file.empty()) {
      frames_json += ",\"file\":";
      append_json_string(frames_json, file);
    }
    if (frame.line > 0) fmt::format_to(std::back_inserter(frames_json), ",\"line\":{}", frame.line);
    frames_json += '}';
  }
  int64_t empty_frame = -1;  // a frame for samples with no frames, made when needed
  auto empty_frame_id = [&]() {
    if (empty_frame < 0) {
      empty_frame = static_cast<int64_t>(shared_ids.size());
      shared_ids.try_emplace({std::string(kEmptyStackLabel), "", -1}, empty_frame);
      if (empty_frame > 0) frames_json += ',';
      frames_json += "{\"name\":";
      append_json_string(frames_json, kEmptyStackLabel);
      frames_json += '}';
    }
    return empty_frame;
  };

  // One profile per thread, then one per task.
  std::vector<SpeedscopeProfile> threads(profile.threads.size());
  std::vector<SpeedscopeProfile> tasks(profile.tasks.size());
  for (const sample::Sample& s : profile.samples) {
    threads[s.thread].add(s.stack, weight);
    if (s.task >= 0) tasks[static_cast<size_t>(s.task)].add(s.stack, weight);
  }

  // Each used stack's "[i,j,...]" once.
  std::vector<std::string> stack_json(profile.stacks.size());
  auto stack_text = [&](uint32_t s) -> const std::string& {
    std::string& text = stack_json[s];
    if (text.empty()) {
      text += '[';
      const std::vector<uint32_t>& stack = profile.stacks[s];
      if (stack.empty()) fmt::format_to(std::back_inserter(text), "{}", empty_frame_id());
      for (size_t i = 0; i < stack.size(); ++i) {
        if (i > 0) text += ',';
        append_uint(text, shared_of_frame[stack[i]]);
      }
      text += ']';
    }
    return text;
  };
  for (const SpeedscopeProfile& p : threads)
    for (uint32_t s : p.stacks) stack_text(s);  // every frame exists before "shared" is written

  ChunkedWriter w(out);
  std::string& buf = w.buf();
  buf += "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",";
  buf += "\"exporter\":\"corostack@" COROSTACK_VERSION "\",\"name\":";
  append_json_string(buf, profile.command.empty() ? std::string("corostack record")
                                                  : "corostack record: " + profile.command);
  buf += ",\"activeProfileIndex\":0,\"shared\":{\"frames\":[";
  buf += frames_json;
  buf += "]},\"profiles\":[";
  bool first_profile = true;
  auto emit = [&](const SpeedscopeProfile& p, const std::string& name) {
    if (p.stacks.empty()) return;
    if (!first_profile) buf += ',';
    first_profile = false;
    buf += "{\"type\":\"sampled\",\"name\":";
    append_json_string(buf, name);
    fmt::format_to(std::back_inserter(buf),
                   ",\"unit\":\"nanoseconds\",\"startValue\":0,\"endValue\":{},\"samples\":[",
                   p.total);
    for (size_t i = 0; i < p.stacks.size(); ++i) {
      if (i > 0) buf += ',';
      buf += stack_text(p.stacks[i]);
      w.maybe_flush();
    }
    buf += "],\"weights\":[";
    for (size_t i = 0; i < p.weights.size(); ++i) {
      if (i > 0) buf += ',';
      append_uint(buf, p.weights[i]);
      w.maybe_flush();
    }
    buf += "]}";
  };
  for (size_t t = 0; t < threads.size(); ++t) {
    const sample::ProfileThread& th = profile.threads[t];
    std::string name = th.name.empty() ? fmt::format("thread {}", th.tid)
                                       : fmt::format("thread {} ({})", th.tid, th.name);
    emit(threads[t], name);
  }
  for (size_t t = 0; t < tasks.size(); ++t) emit(tasks[t], "task " + profile.tasks[t]);
  buf += "]}\n";
  return w.finish(error);
}

}  // namespace corostack::profile_out
