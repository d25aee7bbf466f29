// Output writers fed with snapshots whose every string (function, file,
// module, thread and task names, locals, errors, command line...) and
// number comes from the input. Checked: JSON output parses (nlohmann,
// strict UTF-8) whatever the bytes; terminal text holds no ESC, no other C0
// control but newline, no DEL, no C1 control (U+0080-U+009F) and no
// bidirectional control.
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "coro/coro_catalog.hpp"
#include "fuzz_entry.hpp"
#include "render/coro_renderer.hpp"
#include "render/json_renderer.hpp"
#include "render/tasks_renderer.hpp"
#include "render/text_renderer.hpp"
#include "snapshot/coro_snapshot.hpp"
#include "snapshot/snapshot.hpp"

using namespace corostack;

namespace {

void check_json(const std::string& out) {
  // Renderers may write several documents (one per line) or one; accept both.
  std::istringstream lines(out);
  std::string line;
  bool whole = nlohmann::json::accept(out);
  if (whole) return;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    FUZZ_CHECK(nlohmann::json::accept(line));
  }
}

void check_text(const std::string& out) {
  for (size_t i = 0; i < out.size(); ++i) {
    auto c = static_cast<unsigned char>(out[i]);
    FUZZ_CHECK(c == '\n' || (c >= 0x20 && c != 0x7f));
    // C1 controls encoded as UTF-8: C2 80..C2 9F.
    if (c == 0xc2 && i + 1 < out.size()) {
      auto d = static_cast<unsigned char>(out[i + 1]);
      FUZZ_CHECK(d < 0x80 || d > 0x9f);
    }
    // Bidirectional controls (they reorder the display): U+061C, U+200E/F,
    // U+202A..U+202E, U+2066..U+2069.
    if (c == 0xd8 && i + 1 < out.size()) FUZZ_CHECK(static_cast<unsigned char>(out[i + 1]) != 0x9c);
    if (c == 0xe2 && i + 2 < out.size()) {
      auto d = static_cast<unsigned char>(out[i + 1]), e = static_cast<unsigned char>(out[i + 2]);
      FUZZ_CHECK(!(d == 0x80 && (e == 0x8e || e == 0x8f || (e >= 0xaa && e <= 0xae))));
      FUZZ_CHECK(!(d == 0x81 && e >= 0xa6 && e <= 0xa9));
    }
  }
}

// AsyncEdge::via is one of the walker's own names, never target bytes.
const char* const kVia[] = {"await", "gather",   "taskgroup", "shield",
                            "wait",  "wait_for", "callback"};

Frame frame(fuzz::Input& in) {
  Frame f;
  uint8_t b = in.u8();
  f.kind = static_cast<FrameKind>(b % 3);
  f.pc = in.u64();
  if (b & 4) f.function = in.string(300);
  if (b & 8) f.offset = in.u64(2);
  f.module = in.string();
  f.file = in.string();
  f.line = static_cast<int>(in.u64(4));
  f.inlined = b & 16;
  size_t locals = (b & 32) ? in.u8() % 4 : 0;
  for (size_t i = 0; i < locals; ++i)
    f.locals.push_back({in.string(), in.string(300), (in.u8() & 1) != 0, std::nullopt});
  return f;
}

python::PyFrame py_frame(fuzz::Input& in) {
  python::PyFrame f;
  f.frame = RemoteAddr(in.u64());
  f.function = in.string();
  f.name = in.string();
  f.filename = in.string();
  f.line = static_cast<int>(in.u64(4));
  return f;
}

ProcessSnapshot snapshot(fuzz::Input& in) {
  ProcessSnapshot s;
  uint8_t b = in.u8();
  s.source = static_cast<TargetKind>(b % 3);
  s.core_path = in.string();
  s.pid = static_cast<pid_t>(in.u64(4));
  s.command = in.string();
  s.command_line = in.string(300);
  s.exe = in.string();
  s.pause_ns = in.u64();
  size_t threads = in.u8() % 5;
  for (size_t i = 0; i < threads; ++i) {
    ThreadSnapshot t;
    uint8_t tb = in.u8();
    t.tid = static_cast<pid_t>(in.u64(4));
    t.name = in.string();
    t.comm = in.string();
    t.state = static_cast<char>(in.u8());
    t.is_main = tb & 1;
    if (tb & 2)
      t.syscall =
          SyscallInfo{static_cast<int64_t>(in.u64(2)), in.string(), {in.u64(), 0}, in.string()};
    if (tb & 4) t.python = PythonThreadInfo{in.u64(), (tb & 8) != 0, (tb & 16) != 0};
    size_t frames = in.u8() % 6;
    for (size_t j = 0; j < frames; ++j) t.frames.push_back(frame(in));
    if (tb & 32) t.errors.push_back(in.string());
    s.threads.push_back(std::move(t));
  }
  if (b & 4) s.warnings.push_back(in.string());
  if (b & 8) {
    PythonProcessInfo p;
    // Not from the target: built from integers / fixed names by the snapshot code.
    p.version =
        std::to_string(in.u8()) + "." + std::to_string(in.u8()) + "." + std::to_string(in.u8());
    p.module = in.string();
    p.layout_source = (in.u8() & 1) ? "table" : "_Py_DebugOffsets";
    if (b & 16) p.gc_collecting = (b & 32) != 0;
    p.gil_known = b & 64;
    if (in.u8() & 1) p.errors.push_back(in.string());
    s.python = std::move(p);
  }
  if (b & 128) {
    asyncio::AsyncioState a;
    a.imported = true;
    size_t tasks = in.u8() % 6;
    for (size_t i = 0; i < tasks; ++i) {
      asyncio::AsyncTask t;
      uint8_t tb = in.u8();
      t.address = RemoteAddr(in.u64());
      t.name = in.string(300);
      t.state = static_cast<asyncio::TaskState>(tb % 4);
      t.c_task = tb & 4;
      t.loop = RemoteAddr(in.u64(1));
      t.thread_id = in.u64(1);
      t.running = tb & 8;
      size_t frames = in.u8() % 4;
      for (size_t j = 0; j < frames; ++j) t.stack.push_back(py_frame(in));
      t.awaiting = RemoteAddr(in.u64(1));
      t.awaiting_type = in.string();
      if (tb & 16) t.awaiting_task = in.u8() % tasks;
      if (tb & 32) t.errors.push_back(in.string());
      a.tasks.push_back(std::move(t));
    }
    if (tasks > 0) {
      size_t edges = in.u8() % 8;
      for (size_t i = 0; i < edges; ++i)
        a.edges.push_back({in.u8() % tasks, in.u8() % tasks, kVia[in.u8() % std::size(kVia)]});
      if (in.u8() & 1) a.cycles.push_back({in.u8() % tasks, in.u8() % tasks});
    }
    size_t loops = in.u8() % 3;
    for (size_t i = 0; i < loops; ++i) {
      asyncio::AsyncLoop l;
      l.address = RemoteAddr(in.u64(1));
      l.type = in.string();
      l.thread_id = in.u64(1);
      if (tasks > 0 && (in.u8() & 1)) l.current_task = in.u8() % tasks;
      a.loops.push_back(std::move(l));
    }
    if (in.u8() & 1) a.errors.push_back(in.string());
    s.asyncio = std::move(a);
  }
  return s;
}

void render_coro(fuzz::Input& in, ProcessSnapshot process) {
  static coro::CoroutineInfo infos[2];
  infos[0].name = in.string(300);
  infos[0].decl_file = in.string();
  infos[1].name = in.string();
  infos[1].compiler = coro::CoroCompiler::kGcc;
  CoroSnapshot snap;
  snap.process = std::move(process);
  snap.catalog = std::make_shared<coro::CoroCatalog>();
  size_t n = in.u8() % 6;
  for (size_t i = 0; i < n; ++i) {
    coro::CoroFrame f;
    uint8_t b = in.u8();
    f.address = RemoteAddr(0x1000 * (i + 1));
    f.info = &infos[b & 1];
    f.state = static_cast<coro::FrameState>((b >> 1) % 4);
    if (b & 8) f.index = in.u8();
    f.file = in.string();
    f.line = static_cast<int>(in.u64(2));
    f.line_source = static_cast<coro::LineSource>(in.u8() % 5);
    f.thread = static_cast<pid_t>(in.u64(1));
    if (b & 16) f.continuation = in.u64();
    f.continuation_kind = static_cast<coro::ContinuationKind>(in.u8() % 5);
    if (b & 32) f.promise_values.push_back({in.string(), in.string(200)});
    snap.coro.frames.push_back(std::move(f));
  }
  // Chains as link_frames builds them: indices of existing frames, leaf first.
  for (size_t i = 0; i < n; ++i) {
    if (i + 1 < n && (in.u8() & 1)) snap.coro.frames[i].parent = i + 1;
  }
  for (size_t i = 0; i < n; ++i) {
    bool leaf = true;
    for (size_t j = 0; j < n; ++j)
      if (snap.coro.frames[j].parent == i) leaf = false;
    if (!leaf) continue;
    std::vector<size_t> chain;
    for (std::optional<size_t> k = i; k; k = snap.coro.frames[*k].parent) chain.push_back(*k);
    snap.coro.chains.push_back(std::move(chain));
  }
  if (in.u8() & 1) snap.coro.errors.push_back(in.string());
  if (in.u8() & 1) snap.coro.warnings.push_back(in.string());
  bool promise = in.u8() & 1;
  {
    std::ostringstream out;
    render_coro_text(snap, promise, out);
    check_text(out.str());
  }
  {
    std::ostringstream out;
    render_coro_tree(snap, promise, out);
    check_text(out.str());
  }
  {
    std::ostringstream out;
    render_coro_json(snap, out);
    check_json(out.str());
  }
}

}  // namespace

FUZZ_ENTRY(fuzz_renderers) {
  fuzz::Input in(data, size);
  ProcessSnapshot snap = snapshot(in);
  {
    std::ostringstream out;
    render_text(snap, TextOptions{}, out);
    check_text(out.str());
  }
  {
    std::ostringstream out;
    render_json(snap, out);
    check_json(out.str());
  }
  if (snap.asyncio) {
    {
      std::ostringstream out;
      render_tasks_table(snap, out);
      check_text(out.str());
    }
    {
      std::ostringstream out;
      (void)render_tasks_tree(snap, out);
      check_text(out.str());
    }
    {
      std::ostringstream out;
      render_unawaited(snap, out);
      check_text(out.str());
    }
    for (const auto& c : describe_cycles(snap)) check_text(c);
    {
      std::ostringstream out;
      render_tasks_json(snap, out);
      check_json(out.str());
    }
  }
  render_coro(in, std::move(snap));
  return 0;
}
