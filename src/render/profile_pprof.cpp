// pprof: perftools.profiles.Profile (profile.proto), encoded by hand (varint
// keys, length-delimited sub-messages, packed repeated scalars) and gzipped
// with zlib, as the proto's header asks for files on disk.
//
// One Sample per distinct (stack, thread, task) with values [count, count *
// interval]; one Location per distinct frame (ids from 1, a single Line);
// one Function per distinct (name, file). Labels: thread_name, thread_id,
// pid (numeric), task_name when the sample belongs to an asyncio task.
#include <fmt/format.h>
#include <zlib.h>

#include <unordered_map>

#include "render/profile_aggregate.hpp"

namespace corostack::profile_out {
namespace {

enum WireType : uint32_t { kVarint = 0, kLengthDelimited = 2 };

// Appends protobuf encodings to a byte string.
class ProtoWriter {
 public:
  std::string& bytes() { return b_; }

  void varint(uint64_t v) {
    while (v >= 0x80) {
      b_ += static_cast<char>((v & 0x7F) | 0x80);
      v >>= 7;
    }
    b_ += static_cast<char>(v);
  }
  void key(uint32_t field, WireType wire) { varint((uint64_t{field} << 3) | wire); }
  // int64/uint64 fields; zero is the proto3 default and is not written.
  void int_field(uint32_t field, int64_t v) {
    if (v == 0) return;
    key(field, kVarint);
    varint(static_cast<uint64_t>(v));
  }
  void bytes_field(uint32_t field, std::string_view s) {
    key(field, kLengthDelimited);
    varint(s.size());
    b_.append(s);
  }
  void packed_field(uint32_t field, const std::vector<uint64_t>& values) {
    if (values.empty()) return;
    ProtoWriter inner;
    for (uint64_t v : values) inner.varint(v);
    bytes_field(field, inner.bytes());
  }

 private:
  std::string b_;
};

class StringTable {
 public:
  StringTable() { index(""); }
  int64_t index(const std::string& s) {
    auto [it, added] = ids_.try_emplace(s, static_cast<int64_t>(strings_.size()));
    if (added) strings_.push_back(s);
    return it->second;
  }
  const std::vector<std::string>& strings() const { return strings_; }

 private:
  std::unordered_map<std::string, int64_t> ids_;
  std::vector<std::string> strings_;
};

// pprof names are shown in terminals (`go tool pprof -top`): no controls.
std::string pprof_text(std::string_view raw) {
  return clean_utf8(raw, true);
}

struct SampleKey {
  uint32_t stack;
  uint32_t thread;
  int32_t task;
  bool operator==(const SampleKey&) const = default;
};
struct SampleKeyHash {
  size_t operator()(const SampleKey& k) const {
    uint64_t h = (uint64_t{k.stack} << 32) ^ (uint64_t{k.thread} * 0x9E3779B97F4A7C15ull) ^
                 static_cast<uint32_t>(k.task);
    return std::hash<uint64_t>{}(h);
  }
};

void value_type(ProtoWriter& out, uint32_t field, StringTable& strings, const std::string& type,
                const std::string& unit) {
  ProtoWriter vt;
  vt.int_field(1, strings.index(type));
  vt.int_field(2, strings.index(unit));
  out.bytes_field(field, vt.bytes());
}

std::string encode_profile(const sample::Profile& profile) {
  StringTable strings;
  ProtoWriter top;
  const uint64_t interval = sample_weight_ns(profile);
  const std::string time_type = profile.wall_time ? "wall" : "cpu";

  // 1: sample_type, [samples/count, wall|cpu/nanoseconds].
  value_type(top, 1, strings, "samples", "count");
  value_type(top, 1, strings, time_type, "nanoseconds");

  // Functions per distinct (name, file); locations per used frame.
  struct FunctionKey {
    int64_t name, file;
    bool operator==(const FunctionKey&) const = default;
  };
  struct FunctionKeyHash {
    size_t operator()(const FunctionKey& k) const {
      return std::hash<int64_t>{}(k.name * 1000003 ^ k.file);
    }
  };
  std::unordered_map<FunctionKey, uint64_t, FunctionKeyHash> function_ids;
  ProtoWriter functions;
  ProtoWriter locations;
  std::vector<uint64_t> location_of_frame(profile.frames.size(), 0);
  uint64_t next_location = 1;
  auto location_id = [&](uint32_t f) {
    if (location_of_frame[f] != 0) return location_of_frame[f];
    const sample::ProfileFrame& frame = profile.frames[f];
    std::string name = frame.name.empty() ? frame_label(frame) : frame.name;
    std::string file = !frame.file.empty() ? frame.file : frame.module;
    FunctionKey fk{strings.index(pprof_text(name)), strings.index(pprof_text(file))};
    auto [it, added] = function_ids.try_emplace(fk, function_ids.size() + 1);
    if (added) {
      ProtoWriter fn;
      fn.int_field(1, static_cast<int64_t>(it->second));
      fn.int_field(2, fk.name);
      // system_name only for native code: pprof simplifies it (templates,
      // parameters) into the display name. Python names stay as they are.
      if (frame.kind == sample::ProfileFrameKind::kNative) fn.int_field(3, fk.name);
      fn.int_field(4, fk.file);
      functions.bytes_field(5, fn.bytes());
    }
    ProtoWriter line;
    line.int_field(1, static_cast<int64_t>(it->second));
    line.int_field(2, frame.line > 0 ? frame.line : 0);
    ProtoWriter loc;
    loc.int_field(1, static_cast<int64_t>(next_location));
    loc.bytes_field(4, line.bytes());
    locations.bytes_field(4, loc.bytes());
    location_of_frame[f] = next_location;
    return next_location++;
  };

  uint64_t empty_location_id = 0;
  auto empty_location = [&]() {
    if (empty_location_id == 0) {
      uint64_t fn_id = function_ids.size() + 1;
      function_ids.try_emplace({strings.index(std::string(kEmptyStackLabel)), 0}, fn_id);
      ProtoWriter fn;
      fn.int_field(1, static_cast<int64_t>(fn_id));
      fn.int_field(2, strings.index(std::string(kEmptyStackLabel)));
      functions.bytes_field(5, fn.bytes());
      ProtoWriter line;
      line.int_field(1, static_cast<int64_t>(fn_id));
      ProtoWriter loc;
      loc.int_field(1, static_cast<int64_t>(next_location));
      loc.bytes_field(4, line.bytes());
      locations.bytes_field(4, loc.bytes());
      empty_location_id = next_location++;
    }
    return empty_location_id;
  };

  // 2: samples, merged per (stack, thread, task), in order of first appearance.
  std::unordered_map<SampleKey, size_t, SampleKeyHash> index;
  index.reserve(profile.stacks.size() * 2);
  std::vector<SampleKey> keys;
  std::vector<uint64_t> counts;
  for (const sample::Sample& s : profile.samples) {
    SampleKey k{s.stack, s.thread, s.task};
    auto [it, added] = index.try_emplace(k, keys.size());
    if (added) {
      keys.push_back(k);
      counts.push_back(0);
    }
    ++counts[it->second];
  }
  const int64_t k_thread_name = strings.index("thread_name");
  const int64_t k_thread_id = strings.index("thread_id");
  const int64_t k_pid = strings.index("pid");
  const int64_t k_task_name = strings.index("task_name");
  std::vector<int64_t> thread_names(profile.threads.size(), -1);
  std::vector<int64_t> task_names(profile.tasks.size(), -1);
  std::vector<uint64_t> ids;
  std::vector<std::string> stack_fields(profile.stacks.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const SampleKey& k = keys[i];
    // location_id, leaf first: encoded once per stack, shared by its threads and tasks.
    std::string& location_field = stack_fields[k.stack];
    if (location_field.empty()) {
      const std::vector<uint32_t>& stack = profile.stacks[k.stack];
      ids.clear();
      for (auto it = stack.rbegin(); it != stack.rend(); ++it) ids.push_back(location_id(*it));
      if (stack.empty()) ids.push_back(empty_location());  // pprof drops location-less samples
      ProtoWriter field;
      field.packed_field(1, ids);
      location_field = std::move(field.bytes());
    }
    ProtoWriter smp;
    smp.bytes() = location_field;
    smp.packed_field(2, {counts[i], counts[i] * interval});
    const sample::ProfileThread& thread = profile.threads[k.thread];
    if (thread_names[k.thread] < 0) thread_names[k.thread] = strings.index(pprof_text(thread.name));
    auto str_label = [&](int64_t key, int64_t value) {
      ProtoWriter label;
      label.int_field(1, key);
      label.int_field(2, value);
      smp.bytes_field(3, label.bytes());
    };
    auto num_label = [&](int64_t key, int64_t value) {
      ProtoWriter label;
      label.int_field(1, key);
      label.int_field(3, value);
      smp.bytes_field(3, label.bytes());
    };
    str_label(k_thread_name, thread_names[k.thread]);
    num_label(k_thread_id, thread.tid);
    num_label(k_pid, thread.pid != 0 ? thread.pid : profile.pid);
    if (k.task >= 0) {
      auto t = static_cast<size_t>(k.task);
      if (task_names[t] < 0) task_names[t] = strings.index(pprof_text(profile.tasks[t]));
      str_label(k_task_name, task_names[t]);
    }
    top.bytes_field(2, smp.bytes());
  }
  top.bytes().append(locations.bytes());
  top.bytes().append(functions.bytes());

  // 9, 10: time and duration; 11, 12: period; 13: comment; 14: default type.
  ProtoWriter tail;
  tail.int_field(9, static_cast<int64_t>(profile.start_unix_ns));
  tail.int_field(10, static_cast<int64_t>(profile.duration_ns));
  value_type(tail, 11, strings, time_type, "nanoseconds");
  tail.int_field(12, static_cast<int64_t>(interval));
  if (!profile.command.empty()) {
    tail.int_field(13, strings.index(pprof_text("corostack record: " + profile.command)));
  }
  tail.int_field(14, strings.index(time_type));

  // 6: the string table, complete now ("" first).
  for (const std::string& s : strings.strings()) top.bytes_field(6, s);
  top.bytes().append(tail.bytes());
  return std::move(top.bytes());
}

bool gzip_to(std::string_view data, std::ostream& out, std::string& error) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    error = "pprof: zlib deflateInit2 failed";
    return false;
  }
  std::string chunk(1 << 16, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());  // profiles stay far below 4 GiB
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(chunk.data());
    zs.avail_out = static_cast<uInt>(chunk.size());
    rc = deflate(&zs, Z_FINISH);
    if (rc == Z_STREAM_ERROR) break;
    out.write(chunk.data(), static_cast<std::streamsize>(chunk.size() - zs.avail_out));
  } while (rc != Z_STREAM_END);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    error = "pprof: zlib deflate failed";
    return false;
  }
  out.flush();
  if (!out) {
    error = "could not write the profile (output stream failed)";
    return false;
  }
  return true;
}

}  // namespace

bool write_pprof(const sample::Profile& profile, std::ostream& out, std::string& error) {
  std::string encoded = encode_profile(profile);
  if (encoded.size() > 0xFFFFFFFFu) {
    error = "pprof: profile too large to compress in one piece";
    return false;
  }
  return gzip_to(encoded, out, error);
}

}  // namespace corostack::profile_out
