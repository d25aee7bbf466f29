#include "trace/python_stacks.hpp"

#include <ctime>
#include <optional>

#include "base/clock.hpp"
#include "python/python_walker.hpp"
#include "trace/located_python.hpp"

namespace corostack::trace {
namespace {

constexpr uint64_t kLocateRetryNs = 50'000'000;

}  // namespace

struct PythonStacks::Process {
  std::unique_ptr<LocatedPython> py;
  Error last_error{ErrorKind::kNotFound, "not located yet"};
  uint64_t next_try_ns = 0;
  // tid (3.11+) or pthread_t (older) -> its thread state.
  std::unordered_map<uint64_t, RemoteAddr> tstates;
  // Threads without a thread state (C threads) are looked up again only
  // after this time, not at every call: a list walk per call is too dear.
  std::unordered_map<pid_t, uint64_t> absent_until;

  // Every thread state of every interpreter, keyed as `tstates` is.
  void refresh_tstates() {
    tstates.clear();
    py->proc->clear_cache();
    if (auto h = py->proc->read_value<uint64_t>(py->interp_head_slot); h && *h)
      py->runtime.interp_head = RemoteAddr(*h);
    python::PyWalkOptions wo;
    wo.frames = false;
    wo.thread_names = false;
    auto all = python::walk_python(*py->proc, py->runtime, wo);
    for (const python::PyThread& t : all.threads) {
      if (t.native_tid) tstates[static_cast<uint64_t>(t.native_tid)] = t.tstate;
      if (t.thread_id) tstates.emplace(t.thread_id, t.tstate);
    }
  }
};

PythonStacks::PythonStacks(size_t depth) : depth_(depth) {}
PythonStacks::~PythonStacks() = default;

PythonStacks::Process* PythonStacks::process(pid_t tgid) {
  auto& slot = processes_[tgid];
  if (!slot) slot = std::make_unique<Process>();
  Process& p = *slot;
  if (!p.py && clock_ns() >= p.next_try_ns) {
    if (auto located = LocatedPython::locate(tgid)) {
      p.py = std::move(*located);
    } else {
      p.last_error = located.error();
      p.next_try_ns = clock_ns() + kLocateRetryNs;
    }
  }
  return &p;
}

Result<std::vector<python::PyFrame>> PythonStacks::stack(pid_t tgid, pid_t tid,
                                                         const std::function<uint64_t()>& fs_base) {
  Process* p = process(tgid);
  if (!p->py) return p->last_error;
  python::PyWalkOptions wo;
  wo.code_cache = &*p->py->codes;
  wo.thread_names = false;
  wo.max_frames = depth_;
  std::optional<uint64_t> ident;
  auto pthread_self = [&] {
    if (!ident) ident = fs_base ? fs_base() : 0;
    return *ident;
  };
  // A thread state is ours when it names this thread: its TID (3.11+) or,
  // before, its pthread_t. Checked at every call (states are reused).
  auto matches = [&](const python::PyThread& t) {
    return t.native_tid ? t.native_tid == tid : t.thread_id == pthread_self();
  };
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto it = p->tstates.find(static_cast<uint64_t>(tid));
    if (it == p->tstates.end() && pthread_self()) it = p->tstates.find(pthread_self());
    if (it != p->tstates.end()) {
      p->py->proc->clear_cache();
      python::PyThread t = python::walk_python_thread(*p->py->proc, p->py->runtime, it->second, wo);
      if (matches(t)) {
        if (t.frames.empty() && !t.errors.empty())
          return make_error(ErrorKind::kUnreadable, t.errors.front());
        return std::move(t.frames);
      }
    }
    if (attempt > 0) break;
    if (auto a = p->absent_until.find(tid); a != p->absent_until.end() && clock_ns() < a->second)
      break;
    p->refresh_tstates();
  }
  p->absent_until[tid] = clock_ns() + kLocateRetryNs;
  return make_error(ErrorKind::kNotFound, "not a Python thread");
}

void PythonStacks::forget(pid_t tgid) {
  processes_.erase(tgid);
}

}  // namespace corostack::trace
