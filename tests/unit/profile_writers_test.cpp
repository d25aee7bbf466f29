// The profile writers (src/render/profile_*.cpp) on hand-built profiles with
// hostile names: each output is read back (folded lines parsed, JSON parsed,
// pprof gunzipped and decoded by a small decoder here, SVG scanned) and
// checked against the profile. The real consumers (go tool pprof, ajv with
// speedscope's schema, xmllint) run in tests/consumers.
#include "render/profile_writers.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <time.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../consumers/sample_profiles.hpp"

namespace corostack {
namespace {

using nlohmann::json;
using sample::Profile;
namespace tp = test_profiles;

std::string write(const Profile& p, ProfileFormat format) {
  std::ostringstream out;
  std::string error;
  EXPECT_TRUE(write_profile(p, format, out, error)) << error;
  EXPECT_TRUE(error.empty());
  return out.str();
}

// An independent UTF-8 validity check (RFC 3629).
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<uint8_t>(s[i]);
    size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? b : b & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      auto c = static_cast<uint8_t>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = cp << 6 | (c & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return false;
    i += n;
  }
  return true;
}

bool has_control_bytes(std::string_view s, bool allow_newline) {
  for (char ch : s) {
    auto c = static_cast<uint8_t>(ch);
    if ((c < 0x20 && !(allow_newline && c == '\n')) || c == 0x7F) return true;
  }
  return false;
}

size_t count_of(std::string_view hay, std::string_view needle) {
  size_t n = 0;
  for (size_t pos = hay.find(needle); pos != std::string_view::npos;
       pos = hay.find(needle, pos + 1))
    ++n;
  return n;
}

const std::string kFffd = "\xEF\xBF\xBD";

TEST(ProfileFormat, NamesAndExtensions) {
  EXPECT_EQ(parse_profile_format("flamegraph"), ProfileFormat::kFlamegraph);
  EXPECT_EQ(parse_profile_format("folded"), ProfileFormat::kFolded);
  EXPECT_EQ(parse_profile_format("speedscope"), ProfileFormat::kSpeedscope);
  EXPECT_EQ(parse_profile_format("pprof"), ProfileFormat::kPprof);
  EXPECT_EQ(parse_profile_format("chrometrace"), ProfileFormat::kChromeTrace);
  EXPECT_FALSE(parse_profile_format("raw").has_value());
  EXPECT_FALSE(parse_profile_format("").has_value());
  EXPECT_STREQ(profile_format_extension(ProfileFormat::kFlamegraph), "svg");
  EXPECT_STREQ(profile_format_extension(ProfileFormat::kFolded), "txt");
  EXPECT_STREQ(profile_format_extension(ProfileFormat::kSpeedscope), "json");
  EXPECT_STREQ(profile_format_extension(ProfileFormat::kPprof), "pb.gz");
  EXPECT_STREQ(profile_format_extension(ProfileFormat::kChromeTrace), "json");
}

TEST(ProfileWriters, RejectOutOfRangeIndices) {
  Profile p = tp::make_hostile_profile();
  p.samples[3].stack = 999;
  std::ostringstream out;
  std::string error;
  EXPECT_FALSE(write_profile(p, ProfileFormat::kFolded, out, error));
  EXPECT_NE(error.find("out of range"), std::string::npos) << error;
  p = tp::make_hostile_profile();
  p.stacks[0].push_back(12345);
  error.clear();
  EXPECT_FALSE(write_profile(p, ProfileFormat::kPprof, out, error));
  EXPECT_NE(error.find("frame 12345"), std::string::npos) << error;
}

TEST(ProfileWriters, ReportStreamFailure) {
  Profile p = tp::make_hostile_profile();
  for (ProfileFormat f :
       {ProfileFormat::kFolded, ProfileFormat::kFlamegraph, ProfileFormat::kSpeedscope,
        ProfileFormat::kPprof, ProfileFormat::kChromeTrace}) {
    std::ostringstream out;
    out.setstate(std::ios::badbit);
    std::string error;
    EXPECT_FALSE(write_profile(p, f, out, error));
    EXPECT_FALSE(error.empty());
  }
}

TEST(ProfileWriters, EmptyProfileIsValidEverywhere) {
  Profile p;
  EXPECT_EQ(write(p, ProfileFormat::kFolded), "");
  json s = json::parse(write(p, ProfileFormat::kSpeedscope));
  EXPECT_TRUE(s["profiles"].empty());
  json c = json::parse(write(p, ProfileFormat::kChromeTrace));
  EXPECT_TRUE(c["traceEvents"].empty());
  std::string svg = write(p, ProfileFormat::kFlamegraph);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_FALSE(write(p, ProfileFormat::kPprof).empty());
}

// ---- folded ----

TEST(FoldedWriter, ParsesBackToTheSameCounts) {
  Profile p = tp::make_hostile_profile();
  std::string text = write(p, ProfileFormat::kFolded);
  ASSERT_TRUE(valid_utf8(text));
  EXPECT_FALSE(has_control_bytes(text, true));
  std::vector<uint64_t> expected(p.stacks.size(), 0);
  for (const sample::Sample& s : p.samples) ++expected[s.stack];

  std::istringstream in(text);
  std::string line;
  size_t stack = 0;
  uint64_t total = 0;
  while (std::getline(in, line)) {
    // flamegraph.pl: ^(.*)\s+?(\d+(?:\.\d*)?)$
    size_t space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos) << line;
    std::string frames = line.substr(0, space);
    uint64_t count = std::stoull(line.substr(space + 1));
    while (stack < expected.size() && expected[stack] == 0) ++stack;
    ASSERT_LT(stack, expected.size());
    EXPECT_EQ(count, expected[stack]) << line.substr(0, 200);
    size_t nframes = std::max<size_t>(1, p.stacks[stack].size());
    EXPECT_EQ(count_of(frames, ";") + 1, nframes) << line.substr(0, 200);
    total += count;
    ++stack;
  }
  EXPECT_EQ(total, p.samples.size());
  // Names: py-spy style, hostile bytes neutralised, not dropped.
  EXPECT_NE(text.find("<module> (/app/app.py:10);run (/usr/lib/python3.11/asyncio/runners.py:118);"
                      "</svg><script>alert(1)</script> (/app/xend]]>cdata.py:3) 7\n"),
            std::string::npos);
  EXPECT_NE(text.find("semi:colon" + kFffd + "new" + kFffd + "line (/app/app.py:50) 8\n"),
            std::string::npos);
  EXPECT_NE(text.find("bad" + kFffd + kFffd + kFffd + kFffd + "utf8 (/app/b" + kFffd + ".py:40)"),
            std::string::npos);
  EXPECT_NE(text.find(";std::vector<int>::push_back 3\n"), std::string::npos);
  EXPECT_NE(text.find("[no frames] 1\n"), std::string::npos);
  // The 1 MB name is cut, not copied.
  EXPECT_LT(text.size(), 10000u);
  EXPECT_NE(text.find("HHH\xE2\x80\xA6 (/app/huge.py:60) 3\n"), std::string::npos);
}

// ---- speedscope ----

TEST(SpeedscopeWriter, StructureAndTotals) {
  Profile p = tp::make_hostile_profile();
  std::string text = write(p, ProfileFormat::kSpeedscope);
  ASSERT_TRUE(valid_utf8(text));
  EXPECT_FALSE(has_control_bytes(text, true));
  EXPECT_EQ(text.find("</script>"), std::string::npos);  // '<' is \u003c
  json j = json::parse(text);                            // throws on invalid JSON or UTF-8
  EXPECT_EQ(j["$schema"], "https://www.speedscope.app/file-format-schema.json");
  EXPECT_EQ(j["exporter"].get<std::string>().rfind("corostack@", 0), 0u);
  EXPECT_TRUE(j["name"].is_string());
  const json& frames = j["shared"]["frames"];
  std::set<std::string> names;
  for (const json& f : frames) names.insert(f["name"].get<std::string>());
  EXPECT_TRUE(names.count(tp::kScriptName));
  EXPECT_TRUE(names.count(tp::kCdataName));
  EXPECT_TRUE(names.count(tp::kQuoteAmpName));
  EXPECT_TRUE(names.count(tp::kAnsiName));  // JSON-escaped, so kept as is
  EXPECT_TRUE(names.count("bad" + kFffd + kFffd + kFffd + kFffd + "utf8"));
  EXPECT_TRUE(names.count(tp::kSemicolonName));

  const uint64_t interval = p.interval_ns();
  ASSERT_EQ(j["profiles"].size(), p.threads.size() + p.tasks.size());
  uint64_t thread_total = 0, task_total = 0;
  for (size_t i = 0; i < j["profiles"].size(); ++i) {
    const json& prof = j["profiles"][i];
    EXPECT_EQ(prof["type"], "sampled");
    EXPECT_EQ(prof["unit"], "nanoseconds");
    ASSERT_EQ(prof["samples"].size(), prof["weights"].size());
    uint64_t sum = 0;
    for (const json& w : prof["weights"]) sum += w.get<uint64_t>();
    EXPECT_EQ(prof["startValue"].get<uint64_t>(), 0u);
    EXPECT_EQ(prof["endValue"].get<uint64_t>(), sum);
    for (const json& s : prof["samples"]) {
      ASSERT_FALSE(s.empty());
      for (const json& idx : s) EXPECT_LT(idx.get<size_t>(), frames.size());
    }
    (i < p.threads.size() ? thread_total : task_total) += sum;
  }
  EXPECT_EQ(thread_total, p.samples.size() * interval);
  uint64_t task_samples = 0;
  for (const sample::Sample& s : p.samples) task_samples += s.task >= 0;
  EXPECT_EQ(task_total, task_samples * interval);
  EXPECT_EQ(j["profiles"][0]["name"], "thread 4242 (MainThread)");
  EXPECT_EQ(j["profiles"][3]["name"], "task " + tp::kScriptName);

  // Root-first sample of the main thread's first stack: <module>, run, script.
  const json& first = j["profiles"][0]["samples"][0];
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(frames[first[0].get<size_t>()]["name"], "<module>");
  EXPECT_EQ(frames[first[0].get<size_t>()]["file"], "/app/app.py");
  EXPECT_EQ(frames[first[0].get<size_t>()]["line"], 10);
  EXPECT_EQ(frames[first[2].get<size_t>()]["name"], tp::kScriptName);
}

// ---- Chrome trace ----

TEST(ChromeTraceWriter, SpansReplayToTheSampledStacks) {
  Profile p = tp::make_hostile_profile();
  std::string text = write(p, ProfileFormat::kChromeTrace);
  ASSERT_TRUE(valid_utf8(text));
  EXPECT_FALSE(has_control_bytes(text, true));
  json j = json::parse(text);
  const json& events = j["traceEvents"];
  ASSERT_TRUE(events.is_array());

  std::map<int, std::string> thread_names;
  std::map<int, std::vector<const json*>> by_tid;  // B/E in file order
  std::map<std::string, int> async_open;
  size_t async_pairs = 0;
  for (const json& e : events) {
    std::string ph = e["ph"];
    EXPECT_EQ(e["pid"], 4242);
    if (ph == "M" && e["name"] == "thread_name") thread_names[e["tid"]] = e["args"]["name"];
    if (ph == "B" || ph == "E") by_tid[e["tid"]].push_back(&e);
    if (ph == "b" || ph == "e") {
      EXPECT_EQ(e["cat"], "asyncio");
      std::string key = e["id"].get<std::string>();
      if (ph == "b") {
        EXPECT_EQ(async_open[key]++, 0) << "task run opened twice";
      } else {
        EXPECT_EQ(async_open[key]--, 1) << "task run closed while not open";
        ++async_pairs;
      }
    }
  }
  for (const auto& [id, open] : async_open) EXPECT_EQ(open, 0) << id;
  EXPECT_GT(async_pairs, 0u);
  EXPECT_EQ(thread_names[4242], "MainThread");
  EXPECT_EQ(thread_names[4243], tp::kAnsiName + "bad" + kFffd + kFffd + kFffd + kFffd + "utf8");

  // Replay each thread's B/E: at every sample time the open spans must be
  // that sample's stack (names as the writer gives them), and all must close.
  auto expected_name = [&](uint32_t f) {
    std::string n = p.frames[f].name;
    return n.size() > 4096 ? std::string() : n;  // the 1 MB name is cut: compare the rest
  };
  for (size_t t = 0; t < p.threads.size(); ++t) {
    const std::vector<const json*>& evs = by_tid[p.threads[t].tid];
    std::vector<std::string> open;
    size_t k = 0;
    double last_ts = -1;
    for (const sample::Sample& s : p.samples) {
      if (s.thread != t) continue;
      double ts = static_cast<double>(s.time_ns) / 1000.0;
      while (k < evs.size() && (*evs[k])["ts"].get<double>() <= ts + 1e-6) {
        const json& e = *evs[k++];
        EXPECT_GE(e["ts"].get<double>(), last_ts);
        last_ts = e["ts"].get<double>();
        if (e["ph"] == "B") {
          open.push_back(e["name"]);
        } else {
          ASSERT_FALSE(open.empty()) << "E without B";
          open.pop_back();
        }
      }
      const std::vector<uint32_t>& stack = p.stacks[s.stack];
      ASSERT_EQ(open.size(), stack.size()) << "at " << ts;
      for (size_t i = 0; i < stack.size(); ++i) {
        std::string want = expected_name(stack[i]);
        if (!want.empty() && want.find('\xff') == std::string::npos) {
          EXPECT_EQ(open[i], want);
        }
      }
    }
    for (; k < evs.size(); ++k) {
      ASSERT_EQ((*evs[k])["ph"], "E");
      open.pop_back();
    }
    EXPECT_TRUE(open.empty());
  }
}

TEST(ChromeTraceWriter, GapClosesSpans) {
  Profile p;
  p.pid = 1;
  p.rate_hz = 100;  // 10 ms
  uint32_t th = p.intern_thread({1, 1, "main"});
  uint32_t f = p.intern_frame({sample::ProfileFrameKind::kPython, "f", "a.py", 1, ""});
  uint32_t st = p.intern_stack({f});
  for (uint64_t t : {0ull, 10'000'000ull, 100'000'000ull}) p.add({t, st, th, -1, false, false});
  json j = json::parse(write(p, ProfileFormat::kChromeTrace));
  std::vector<std::pair<std::string, double>> be;
  for (const json& e : j["traceEvents"])
    if (e["ph"] == "B" || e["ph"] == "E") be.push_back({e["ph"], e["ts"].get<double>()});
  ASSERT_EQ(be.size(), 4u);
  EXPECT_EQ(be[0], (std::pair<std::string, double>{"B", 0}));
  EXPECT_EQ(be[1], (std::pair<std::string, double>{"E", 20000}));  // last sample + interval
  EXPECT_EQ(be[2], (std::pair<std::string, double>{"B", 100000}));
  EXPECT_EQ(be[3], (std::pair<std::string, double>{"E", 110000}));
}

// ---- pprof: gunzip + a small profile.proto decoder ----

std::string gunzip(const std::string& in) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[1 << 15];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc == Z_OK);
  inflateEnd(&zs);
  EXPECT_EQ(rc, Z_STREAM_END);
  return out;
}

struct Field {
  uint32_t number;
  uint32_t wire;
  uint64_t varint = 0;
  std::string_view bytes;
};

// Splits one message into fields; fails the test on malformed input.
std::vector<Field> fields_of(std::string_view msg) {
  std::vector<Field> out;
  size_t i = 0;
  auto varint = [&](uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (i >= msg.size()) return false;
      auto b = static_cast<uint8_t>(msg[i++]);
      v |= uint64_t{b & 0x7Fu} << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  };
  while (i < msg.size()) {
    uint64_t key;
    if (!varint(key)) {
      ADD_FAILURE() << "bad key";
      return out;
    }
    Field f{static_cast<uint32_t>(key >> 3), static_cast<uint32_t>(key & 7), 0, {}};
    if (f.wire == 0) {
      if (!varint(f.varint)) ADD_FAILURE() << "bad varint";
    } else if (f.wire == 2) {
      uint64_t len;
      if (!varint(len) || i + len > msg.size()) {
        ADD_FAILURE() << "bad length";
        return out;
      }
      f.bytes = msg.substr(i, len);
      i += len;
    } else {
      ADD_FAILURE() << "unexpected wire type " << f.wire;
      return out;
    }
    out.push_back(f);
  }
  return out;
}

std::vector<uint64_t> packed(const Field& f) {
  std::vector<uint64_t> out;
  if (f.wire == 0) return {f.varint};
  std::string_view b = f.bytes;
  size_t i = 0;
  while (i < b.size()) {
    uint64_t v = 0;
    for (int shift = 0; i < b.size(); shift += 7) {
      auto c = static_cast<uint8_t>(b[i++]);
      v |= uint64_t{c & 0x7Fu} << shift;
      if (!(c & 0x80)) break;
    }
    out.push_back(v);
  }
  return out;
}

struct DecodedSample {
  std::vector<uint64_t> locations;
  std::vector<uint64_t> values;
  std::map<std::string, std::string> str_labels;
  std::map<std::string, int64_t> num_labels;
};

struct DecodedProfile {
  std::vector<std::string> strings;
  std::vector<std::pair<std::string, std::string>> sample_types;
  std::vector<DecodedSample> samples;
  std::map<uint64_t, uint64_t> location_function;  // location id -> function id
  std::map<uint64_t, int64_t> location_line;
  std::map<uint64_t, std::string> function_name;
  std::map<uint64_t, std::string> function_file;
  std::pair<std::string, std::string> period_type;
  int64_t period = 0, time_nanos = 0, duration_nanos = 0;
  std::string default_sample_type;
};

DecodedProfile decode_pprof(const std::string& gz) {
  std::string raw = gunzip(gz);
  std::vector<Field> top = fields_of(raw);
  DecodedProfile d;
  for (const Field& f : top)
    if (f.number == 6) d.strings.emplace_back(f.bytes);
  auto str = [&](uint64_t i) {
    EXPECT_LT(i, d.strings.size());
    return i < d.strings.size() ? d.strings[i] : std::string("?");
  };
  auto value_type = [&](std::string_view b) {
    std::pair<std::string, std::string> vt;
    for (const Field& f : fields_of(b)) (f.number == 1 ? vt.first : vt.second) = str(f.varint);
    return vt;
  };
  for (const Field& f : top) {
    switch (f.number) {
      case 1:
        d.sample_types.push_back(value_type(f.bytes));
        break;
      case 2: {
        DecodedSample s;
        for (const Field& sf : fields_of(f.bytes)) {
          if (sf.number == 1)
            for (uint64_t v : packed(sf)) s.locations.push_back(v);
          if (sf.number == 2)
            for (uint64_t v : packed(sf)) s.values.push_back(v);
          if (sf.number == 3) {
            std::string key;
            uint64_t sv = 0;
            int64_t nv = 0;
            bool is_num = false;
            for (const Field& lf : fields_of(sf.bytes)) {
              if (lf.number == 1) key = str(lf.varint);
              if (lf.number == 2) sv = lf.varint;
              if (lf.number == 3) nv = static_cast<int64_t>(lf.varint), is_num = true;
            }
            if (is_num)
              s.num_labels[key] = nv;
            else
              s.str_labels[key] = str(sv);
          }
        }
        d.samples.push_back(s);
        break;
      }
      case 4: {
        uint64_t id = 0, fn = 0;
        int64_t line = 0;
        for (const Field& lf : fields_of(f.bytes)) {
          if (lf.number == 1) id = lf.varint;
          if (lf.number == 4)
            for (const Field& ln : fields_of(lf.bytes)) {
              if (ln.number == 1) fn = ln.varint;
              if (ln.number == 2) line = static_cast<int64_t>(ln.varint);
            }
        }
        EXPECT_GE(id, 1u);
        EXPECT_FALSE(d.location_function.count(id)) << "duplicate location id";
        d.location_function[id] = fn;
        d.location_line[id] = line;
        break;
      }
      case 5: {
        uint64_t id = 0;
        std::string name, file;
        for (const Field& ff : fields_of(f.bytes)) {
          if (ff.number == 1) id = ff.varint;
          if (ff.number == 2) name = str(ff.varint);
          if (ff.number == 4) file = str(ff.varint);
        }
        EXPECT_GE(id, 1u);
        d.function_name[id] = name;
        d.function_file[id] = file;
        break;
      }
      case 9:
        d.time_nanos = static_cast<int64_t>(f.varint);
        break;
      case 10:
        d.duration_nanos = static_cast<int64_t>(f.varint);
        break;
      case 11:
        d.period_type = value_type(f.bytes);
        break;
      case 12:
        d.period = static_cast<int64_t>(f.varint);
        break;
      case 14:
        d.default_sample_type = str(f.varint);
        break;
      default:
        break;
    }
  }
  return d;
}

TEST(PprofWriter, DecodesToTheSameTotalsLabelsAndStrings) {
  Profile p = tp::make_hostile_profile();
  std::string gz = write(p, ProfileFormat::kPprof);
  ASSERT_GE(gz.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(gz[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<uint8_t>(gz[1]), 0x8b);
  DecodedProfile d = decode_pprof(gz);

  ASSERT_FALSE(d.strings.empty());
  EXPECT_EQ(d.strings[0], "");
  for (const std::string& s : d.strings) {
    EXPECT_TRUE(valid_utf8(s)) << s.substr(0, 100);
    EXPECT_FALSE(has_control_bytes(s, false)) << s.substr(0, 100);
    EXPECT_LT(s.size(), 4096u);
  }
  ASSERT_EQ(d.sample_types.size(), 2u);
  EXPECT_EQ(d.sample_types[0], (std::pair<std::string, std::string>{"samples", "count"}));
  EXPECT_EQ(d.sample_types[1], (std::pair<std::string, std::string>{"wall", "nanoseconds"}));
  EXPECT_EQ(d.period_type, (std::pair<std::string, std::string>{"wall", "nanoseconds"}));
  EXPECT_EQ(d.period, 10'000'000);
  EXPECT_EQ(d.default_sample_type, "wall");
  EXPECT_EQ(static_cast<uint64_t>(d.time_nanos), p.start_unix_ns);
  EXPECT_EQ(static_cast<uint64_t>(d.duration_nanos), p.duration_ns);

  // One pprof sample per distinct (stack, thread, task); totals exact.
  EXPECT_EQ(d.samples.size(), 11u);
  uint64_t count = 0, nanos = 0;
  bool saw_script_leaf = false, saw_task_label = false, saw_worker = false;
  for (const DecodedSample& s : d.samples) {
    ASSERT_EQ(s.values.size(), 2u);
    EXPECT_EQ(s.values[1], s.values[0] * p.interval_ns());
    count += s.values[0];
    nanos += s.values[1];
    for (uint64_t loc : s.locations) {
      ASSERT_TRUE(d.location_function.count(loc)) << loc;
      EXPECT_TRUE(d.function_name.count(d.location_function[loc]));
    }
    EXPECT_EQ(s.num_labels.at("pid"), 4242);
    EXPECT_TRUE(s.num_labels.count("thread_id"));
    ASSERT_TRUE(s.str_labels.count("thread_name"));
    if (s.num_labels.at("thread_id") == 4243) {
      saw_worker = true;
      EXPECT_EQ(s.str_labels.at("thread_name"),
                kFffd + "]0;pwned" + kFffd + "bad" + kFffd + kFffd + kFffd + kFffd + "utf8");
    }
    if (s.str_labels.count("task_name")) saw_task_label = true;
    EXPECT_FALSE(s.locations.empty());  // go tool pprof drops samples without locations
    // Leaf first: the 7-sample stack is <module> -> run -> script.
    if (s.values[0] == 7) {
      ASSERT_EQ(s.locations.size(), 3u);
      EXPECT_EQ(d.function_name[d.location_function[s.locations[0]]], tp::kScriptName);
      EXPECT_EQ(d.location_line[s.locations[0]], 3);
      EXPECT_EQ(d.function_name[d.location_function[s.locations[2]]], "<module>");
      EXPECT_EQ(d.function_file[d.location_function[s.locations[2]]], "/app/app.py");
      EXPECT_EQ(s.str_labels.at("task_name"), tp::kScriptName);
      saw_script_leaf = true;
    }
  }
  EXPECT_EQ(count, p.samples.size());
  EXPECT_EQ(nanos, p.samples.size() * p.interval_ns());
  EXPECT_TRUE(saw_script_leaf);
  EXPECT_TRUE(saw_task_label);
  EXPECT_TRUE(saw_worker);
}

// ---- flamegraph SVG ----

TEST(FlamegraphWriter, HostileNamesStayEscaped) {
  Profile p = tp::make_hostile_profile();
  std::string svg = write(p, ProfileFormat::kFlamegraph);
  ASSERT_TRUE(valid_utf8(svg));
  EXPECT_FALSE(has_control_bytes(svg, true));
  // Exactly our own script, CDATA section and document end.
  EXPECT_EQ(count_of(svg, "<script"), 1u);
  EXPECT_EQ(count_of(svg, "<![CDATA["), 1u);
  EXPECT_EQ(count_of(svg, "]]>"), 1u);
  EXPECT_EQ(count_of(svg, "</svg>"), 1u);
  EXPECT_EQ(svg.rfind("</svg>\n"), svg.size() - 7);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  // The script is ours: no target text inside it.
  size_t script_end = svg.find("]]>");
  EXPECT_EQ(svg.substr(0, script_end).find("alert"), std::string::npos);
  // The hostile names are there, escaped, in tooltips.
  EXPECT_NE(
      svg.find(
          "<title>&lt;/svg&gt;&lt;script&gt;alert(1)&lt;/script&gt; (/app/xend]]&gt;cdata.py:3) "
          "(12 samples, 24.00%)</title>"),
      std::string::npos);
  EXPECT_NE(svg.find("say &quot;hi&quot; &amp; &#39;bye&#39; &lt;b&gt; (/app/q&amp;a.py:7)"),
            std::string::npos);
  EXPECT_NE(svg.find(kFffd + "]0;pwned" + kFffd + " (/app/app.py:30)"), std::string::npos);
  EXPECT_NE(svg.find("<title>all (50 samples, 100.00%)</title>"), std::string::npos);
  // Not XML characters: C1 controls and U+FFFF become U+FFFD too.
  EXPECT_EQ(svg.find("\xc2\x9b"), std::string::npos);
  EXPECT_EQ(svg.find("\xef\xbf\xbf"), std::string::npos);
  EXPECT_NE(svg.find("thread 4243 (" + kFffd + "]0;pwned" + kFffd + kFffd + kFffd + ")"),
            std::string::npos);
  // In the title of the page too.
  EXPECT_NE(svg.find("python3 app.py &lt;/svg&gt;&lt;script&gt;"), std::string::npos);
  // Every kind has its colour class of fill; the kinds' legend is present.
  for (const char* kind : {"Python", "native", "kernel", "idle", "task", "thread/process"})
    EXPECT_NE(svg.find(std::string(">") + kind + "</text>"), std::string::npos) << kind;
  EXPECT_LT(svg.size(), 64u * 1024);
}

TEST(FlamegraphWriter, MergesFramesAndBoundsSize) {
  Profile p = tp::make_large_profile(200'000, 10'000);
  std::string svg = write(p, ProfileFormat::kFlamegraph);
  // Frames narrower than 0.1 % are omitted: at most ~1000 per level.
  size_t rects = count_of(svg, "<g class=\"f\"");
  EXPECT_GT(rects, 5u);
  EXPECT_LT(svg.size(), 8u << 20);
  EXPECT_NE(svg.find("<title>all (200000 samples, 100.00%)</title>"), std::string::npos);
  // The first five levels are the same frames in every stack: one rect each.
  EXPECT_NE(svg.find("<title>module.Class.function_0 (/srv/app/pkg/module_0.py:1) "
                     "(200000 samples, 100.00%)</title>"),
            std::string::npos);
}

// ---- speed: 1 M samples, 10 000 distinct stacks ----

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Discards what is written, counting bytes: measures the writer, not the
// growth of an in-memory stream.
class CountingBuf : public std::streambuf {
 public:
  size_t bytes = 0;

 protected:
  std::streamsize xsputn(const char*, std::streamsize n) override {
    bytes += static_cast<size_t>(n);
    return n;
  }
  int_type overflow(int_type c) override {
    ++bytes;
    return traits_type::not_eof(c);
  }
};

// CPU time, not wall time: the machine may be busy with a parallel build.
TEST(ProfileWriters, WriteAMillionSamplesQuickly) {
  Profile p = tp::make_large_profile(1'000'000, 10'000);
#if defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__)
  const double limit_s = 20;
#else
  const double limit_s = 1.0;
#endif
  for (ProfileFormat f : {ProfileFormat::kFolded, ProfileFormat::kPprof, ProfileFormat::kSpeedscope,
                          ProfileFormat::kFlamegraph, ProfileFormat::kChromeTrace}) {
    CountingBuf sink;
    std::ostream out(&sink);
    std::string error;
    double t0 = thread_cpu_seconds();
    ASSERT_TRUE(write_profile(p, f, out, error)) << error;
    double s = thread_cpu_seconds() - t0;
    std::printf("write %-11s %6.3f s CPU  %10zu bytes\n",
                f == ProfileFormat::kChromeTrace ? "chrometrace" : profile_format_extension(f), s,
                sink.bytes);
    if (f != ProfileFormat::kChromeTrace) {
      EXPECT_LT(s, limit_s);
    } else {
      // Random stacks change completely at every sample: the span cap applies.
      EXPECT_GT(sink.bytes, 100u << 20);
      EXPECT_LT(sink.bytes, 400u << 20);
    }
  }
}

}  // namespace
}  // namespace corostack
