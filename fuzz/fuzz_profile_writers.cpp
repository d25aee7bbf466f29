// The profile writers (render/profile_writers.hpp) fed with profiles whose
// every string (frame, file, module, thread, task names, command line) and
// index comes from the input, out-of-range indices included. Checked:
// write_profile fails exactly when an index is out of range; otherwise folded
// lines parse back to the sample count, JSON outputs (speedscope, Chrome
// trace) parse (strict UTF-8), the SVG holds one <script>, one "]]>", one
// "</svg>" and no control byte, and pprof gunzips.
#include <zlib.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "fuzz_entry.hpp"
#include "render/profile_writers.hpp"

using namespace corostack;

namespace {

size_t count_of(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1))
    ++n;
  return n;
}

bool valid_utf8(const std::string& s) {
  try {
    (void)nlohmann::json(s).dump();  // throws type_error 316 on invalid UTF-8
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

bool no_controls(const std::string& s) {
  for (char ch : s) {
    auto c = static_cast<uint8_t>(ch);
    if ((c < 0x20 && c != '\n') || c == 0x7F) return false;
  }
  return true;
}

bool gunzips(const std::string& gz) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return false;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  char buf[1 << 14];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
  } while (rc == Z_OK);
  inflateEnd(&zs);
  return rc == Z_STREAM_END;
}

}  // namespace

FUZZ_ENTRY(fuzz_profile_writers) {
  fuzz::Input in(data, size);
  sample::Profile p;
  bool valid = true;
  const uint8_t flags = in.u8();
  p.wall_time = flags & 1;
  p.rate_hz = flags & 2 ? 0 : 1 + in.u8() % 200;
  p.pid = static_cast<pid_t>(in.u64(2));
  p.command = in.string(300);
  size_t nframes = in.u8() % 12;
  for (size_t i = 0; i < nframes; ++i) {
    sample::ProfileFrame f;
    f.kind = static_cast<sample::ProfileFrameKind>(in.u8() % 9);  // every kind
    f.name = in.string(300);
    f.file = in.string();
    f.line = static_cast<int>(in.u64(2)) - 100;
    f.module = in.string();
    p.frames.push_back(f);  // not interned: duplicates allowed
  }
  size_t nthreads = 1 + in.u8() % 4;
  for (size_t i = 0; i < nthreads; ++i)
    p.threads.push_back(
        {static_cast<pid_t>(in.u64(2)), static_cast<pid_t>(in.u64(2)), in.string()});
  size_t ntasks = in.u8() % 4;
  for (size_t i = 0; i < ntasks; ++i) p.tasks.push_back(in.string());
  size_t nstacks = in.u8() % 8;
  for (size_t i = 0; i < nstacks; ++i) {
    std::vector<uint32_t> stack;
    size_t depth = in.u8() % 10;
    for (size_t d = 0; d < depth; ++d) {
      uint32_t f = in.u8() % (nframes + 1);  // == nframes: out of range
      valid = valid && f < nframes;
      stack.push_back(f);
    }
    p.stacks.push_back(stack);
  }
  size_t nsamples = in.u8();
  uint64_t t = 0;
  for (size_t i = 0; i < nsamples && in.left() > 0; ++i) {
    sample::Sample s;
    t += in.u8() * 1'000'000ull;
    s.time_ns = t;
    s.stack = in.u8() % (nstacks + 1);
    s.thread = in.u8() % (nthreads + 1);
    s.task = static_cast<int32_t>(in.u8() % (ntasks + 2)) - 1;
    valid = valid && s.stack < nstacks && s.thread < nthreads &&
            (s.task < 0 || static_cast<size_t>(s.task) < ntasks);
    p.samples.push_back(s);
  }
  // A stack no sample uses may still hold a bad frame: write_profile checks all.

  for (ProfileFormat format :
       {ProfileFormat::kFolded, ProfileFormat::kFlamegraph, ProfileFormat::kSpeedscope,
        ProfileFormat::kPprof, ProfileFormat::kChromeTrace}) {
    std::ostringstream out;
    std::string error;
    bool ok = write_profile(p, format, out, error);
    FUZZ_CHECK(ok == valid);
    FUZZ_CHECK(ok || !error.empty());
    if (!ok) continue;
    const std::string text = out.str();
    switch (format) {
      case ProfileFormat::kFolded: {
        FUZZ_CHECK(valid_utf8(text) && no_controls(text));
        std::istringstream lines(text);
        std::string line;
        uint64_t total = 0;
        while (std::getline(lines, line)) {
          size_t space = line.rfind(' ');
          FUZZ_CHECK(space != std::string::npos && space + 1 < line.size());
          FUZZ_CHECK(line.find_first_not_of("0123456789", space + 1) == std::string::npos);
          total += std::stoull(line.substr(space + 1));
        }
        FUZZ_CHECK(total == p.samples.size());
        break;
      }
      case ProfileFormat::kFlamegraph:
        FUZZ_CHECK(valid_utf8(text) && no_controls(text));
        FUZZ_CHECK(count_of(text, "<script") == 1);
        FUZZ_CHECK(count_of(text, "]]>") == 1);
        FUZZ_CHECK(count_of(text, "</svg>") == 1);
        break;
      case ProfileFormat::kSpeedscope:
      case ProfileFormat::kChromeTrace:
        FUZZ_CHECK(nlohmann::json::accept(text));
        break;
      case ProfileFormat::kPprof:
        FUZZ_CHECK(gunzips(text));
        break;
    }
  }
  return 0;
}
