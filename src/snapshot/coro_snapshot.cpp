#include "snapshot/coro_snapshot.hpp"

#include "variables/coroutine_variables.hpp"

#include <fmt/format.h>

#include <unordered_map>
#include <unordered_set>

#include "coro/coro_chains.hpp"
#include "coro/frame_reader.hpp"
#include "target/captured_memory.hpp"

namespace corostack {
namespace {

constexpr uint64_t kStackSearchBytes = 256 * 1024;  // where a running frame's address may be saved

// Words of a thread's stack (from its stack pointer up) equal to one of `want`.
std::unordered_set<uint64_t> frame_addresses_on_stack(const MemoryReader& mem, uint64_t rsp,
                                                      const std::unordered_set<uint64_t>& want) {
  std::unordered_set<uint64_t> found;
  std::vector<uint64_t> buf(kStackSearchBytes / 8);
  auto r =
      mem.read(RemoteAddr(rsp & ~uint64_t{7}),
               std::span<std::byte>(reinterpret_cast<std::byte*>(buf.data()), kStackSearchBytes));
  for (size_t i = 0; i < r.bytes / 8; ++i)
    if (want.count(buf[i])) found.insert(buf[i]);
  return found;
}

}  // namespace

void mark_running_frames(const ProcessSnapshot& process, const MemoryReader& stacks,
                         const Capture& capture, const coro::CoroCatalog& catalog,
                         coro::CoroState& state) {
  std::unordered_map<const coro::CoroutineInfo*, std::vector<size_t>> by_info;
  for (size_t i = 0; i < state.frames.size(); ++i)
    if (state.frames[i].state != coro::FrameState::kDone)
      by_info[state.frames[i].info].push_back(i);
  for (size_t t = 0; t < process.threads.size(); ++t) {
    const ThreadSnapshot& th = process.threads[t];
    const auto& frames = th.frames;
    for (size_t k = 0; k < frames.size(); ++k) {
      const Frame& f = frames[k];
      if (f.kind != FrameKind::kNative || f.inlined) continue;
      // Caller frames hold return addresses: look up the call instruction.
      uint64_t pc = k > 0 && f.pc > 0 ? f.pc - 1 : f.pc;
      const coro::CoroutineInfo* info = catalog.by_resume_pc(pc);
      if (!info) continue;
      auto it = by_info.find(info);
      if (it == by_info.end()) continue;
      std::vector<size_t> which = it->second;
      if (which.size() > 1 && t < capture.threads.size() && capture.threads[t].regs_valid) {
        // Several frames of this coroutine: the running one's address is
        // saved on its thread's stack (the resume clone's argument).
        std::unordered_set<uint64_t> want;
        for (size_t i : which) want.insert(state.frames[i].address.value());
        auto seen = frame_addresses_on_stack(stacks, capture.threads[t].regs.rsp, want);
        std::vector<size_t> kept;
        for (size_t i : which)
          if (seen.count(state.frames[i].address.value())) kept.push_back(i);
        which = kept;
      }
      if (which.size() != 1) {
        state.warnings.push_back(fmt::format(
            "thread {} runs {} but its frame is one of {} candidates: not marked running", th.tid,
            info->name, which.size()));
        continue;
      }
      coro::CoroFrame& cf = state.frames[which.front()];
      if (cf.state == coro::FrameState::kRunning) continue;
      cf.state = coro::FrameState::kRunning;
      cf.thread = th.tid;
      // Inlined callees come first with the same pc; this physical frame's
      // line is the one inside the coroutine's own code.
      cf.file = f.file;
      cf.line = f.line;
      cf.line_source = f.line > 0 ? coro::LineSource::kPc : coro::LineSource::kNone;
    }
  }
}

namespace {

void add_coroutine_variables(const MemoryReader& memory, coro::CoroState& state) {
  for (coro::CoroFrame& f : state.frames) {
    if (!f.info || !f.info->frame_die) continue;
    // A finished frame's variables are destroyed; a running one's are read
    // as they are (usually stable: its thread is blocked in a callee).
    if (f.state == coro::FrameState::kDone) continue;
    auto vars = variables::coroutine_variables(memory, f.address.value(), *f.info->frame_die);
    for (variables::CoroutineVariable& v : vars.variables)
      f.locals.push_back({std::move(v.name), std::move(v.value)});
    f.compiler_named = vars.compiler_named;
  }
}

}  // namespace

Result<CoroSnapshot> take_coro_snapshot(Target& target, const CoroSnapshotOptions& options) {
  auto session = DwflSession::create(target);
  if (!session) return session.error();
  auto catalog = std::make_shared<coro::CoroCatalog>(
      coro::CoroCatalog::build((*session)->dwfl(), options.table));

  CoroSnapshot out;
  out.catalog = catalog;
  out.coro.coroutines_known = catalog->size();
  for (const std::string& w : catalog->warnings()) out.coro.warnings.push_back(w);
  auto candidates =
      coro::scan_for_frames(target, target.maps(), *catalog, options.scan, out.coro.scan);

  coro::FrameReadOptions ro;
  ro.promise_values = options.promise_values;
  CaptureOptions co = options.native.capture;
  co.while_paused = [&](const MemoryReader& mem) {
    out.coro.frames.clear();
    for (const coro::FrameCandidate& c : candidates) {
      if (auto f = coro::read_frame(mem, c, *catalog, ro)) {
        out.coro.frames.push_back(std::move(*f));
      } else {
        ++out.coro.scan.rejected;
      }
    }
  };
  auto capture = target.capture(co);
  if (!capture) return capture.error();

  out.process = snapshot_from_capture(target, *capture);
  auto session_warnings = (*session)->warnings();
  out.process.warnings.insert(out.process.warnings.begin(), session_warnings.begin(),
                              session_warnings.end());
  CapturedMemory memory(target, capture->regions);
  add_native_frames(**session, target.pid(), *capture, memory, options.native,
                    std::vector<bool>(capture->threads.size(), true), out.process.threads);
  coro::link_frames(out.coro);
  mark_running_frames(out.process, memory, *capture, *catalog, out.coro);
  coro::assign_lines(out.coro);
  // After the pause: suspended frames do not change while they stay
  // suspended, and the frame types' DIEs live as long as this session.
  if (options.locals) add_coroutine_variables(memory, out.coro);
  return out;
}

void splice_coroutine_chains(const Target& target, DwflSession& session, const Capture& capture,
                             const MemoryReader& stacks, ProcessSnapshot& snap, bool locals) {
  auto runs_coroutine = [](const Frame& f) {
    return f.kind == FrameKind::kNative && f.function &&
           (f.function->find("[clone .resume]") != std::string::npos ||
            f.function->find("[clone .actor]") != std::string::npos);
  };
  bool any = false;
  for (const ThreadSnapshot& t : snap.threads)
    for (const Frame& f : t.frames) any = any || runs_coroutine(f);
  if (!any) return;

  coro::CoroCatalog catalog = coro::CoroCatalog::build(session.dwfl(), {});
  coro::CoroState state;
  auto candidates = coro::scan_for_frames(target, target.maps(), catalog, {}, state.scan);
  for (const coro::FrameCandidate& c : candidates)
    if (auto f = coro::read_frame(target, c, catalog, {})) state.frames.push_back(std::move(*f));
  coro::link_frames(state);
  mark_running_frames(snap, stacks, capture, catalog, state);
  coro::assign_lines(state);

  for (const coro::CoroFrame& running : state.frames) {
    if (running.state != coro::FrameState::kRunning || !running.parent) continue;
    for (ThreadSnapshot& t : snap.threads) {
      if (t.tid != running.thread) continue;
      // After the physical frame of the running coroutine's resume clone.
      for (size_t k = 0; k < t.frames.size(); ++k) {
        const Frame& f = t.frames[k];
        if (f.kind != FrameKind::kNative || f.inlined) continue;
        uint64_t pc = k > 0 && f.pc > 0 ? f.pc - 1 : f.pc;
        if (catalog.by_resume_pc(pc) != running.info) continue;
        std::vector<Frame> chain;
        std::unordered_set<size_t> seen;
        for (auto p = running.parent; p && seen.insert(*p).second; p = state.frames[*p].parent) {
          const coro::CoroFrame& cf = state.frames[*p];
          if (cf.state == coro::FrameState::kRunning) break;  // physically on the stack too
          Frame a;
          a.kind = FrameKind::kAsync;
          a.pc = cf.address.value();
          a.function = cf.info->name;
          a.file = cf.file;
          a.line = cf.line;
          a.module = catalog.module_of(cf.info);
          if (locals && cf.info->frame_die) {
            auto vars = variables::coroutine_variables(target, a.pc, *cf.info->frame_die);
            for (variables::CoroutineVariable& v : vars.variables)
              a.locals.push_back(Local{std::move(v.name), std::move(v.value), false, std::nullopt});
          }
          chain.push_back(std::move(a));
        }
        t.frames.insert(t.frames.begin() + static_cast<std::ptrdiff_t>(k) + 1, chain.begin(),
                        chain.end());
        break;
      }
    }
  }
  for (const std::string& w : state.warnings) snap.warnings.push_back("coroutines: " + w);
}

}  // namespace corostack
