#include "diagnose/doctor.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

#include "diagnose/asyncio_rules.hpp"
#include "diagnose/crash_rules.hpp"
#include "diagnose/data_symbols.hpp"
#include "diagnose/event_loop_rules.hpp"
#include "diagnose/gil_rules.hpp"
#include "diagnose/native_lock_rules.hpp"
#include "diagnose/native_lock_waits.hpp"
#include "diagnose/process_resources.hpp"
#include "diagnose/python_lock_rules.hpp"
#include "diagnose/python_waits.hpp"
#include "diagnose/watch_rules.hpp"
#include "native/dwfl_session.hpp"
#include "python/instance_dict.hpp"
#include "python/remote_object.hpp"
#include "snapshot/crash_info.hpp"
#include "snapshot/fd_names.hpp"
#include "snapshot/python_snapshot.hpp"
#include "trace/proc_fd_names.hpp"

namespace corostack::diagnose {
namespace {

struct Read {
  ProcessSnapshot snapshot;
  std::optional<python::PythonRuntime> runtime;
  ThreadCpuTimes cpu;  // live only
  GilFacts gil;        // Python targets: read right after the snapshot
};

Result<Read> read_once(Target& target) {
  Read r;
  SnapshotOptions opts;
  // Native frames under Python ones: lock, GIL and syscall machinery shows
  // only there.
  opts.merge_native = true;
  opts.asyncio = true;
  opts.runtime_out = &r.runtime;
  if (target.kind() == TargetKind::kLive) r.cpu = read_thread_cpu_times(target.pid());
  auto snap = take_snapshot(target, opts);
  if (!snap) return snap.error();
  r.snapshot = std::move(*snap);
  // What each blocked call's fd is, as dump says it (live: /proc; gcore cores: their note).
  name_blocked_fds(r.snapshot, trace::fd_namer_for(target));
  if (r.runtime) r.gil = read_gil_facts(r.snapshot, *r.runtime, target);
  return r;
}

void check_native(Target& target, const ProcessSnapshot& snap, DoctorReport& report) {
  auto waits = find_native_lock_waits(snap, target);
  std::unique_ptr<DwflSession> session;
  if (!waits.empty()) {
    auto s = DwflSession::create(target);
    if (s) session = std::move(*s);
  }
  auto name = [&](uint64_t address) -> std::string {
    return session ? data_symbol(*session, address) : std::string();
  };
  check_native_locks(waits, snap, name, report);
}

// len(loop._ready) of each loop the asyncio walk found.
ReadyQueues read_ready_queues(const Target& target, const Read& r) {
  ReadyQueues out;
  if (!r.runtime || !r.runtime->layout || !r.snapshot.asyncio) return out;
  python::RemoteObjects ro(target, *r.runtime->layout);
  for (const asyncio::AsyncLoop& loop : r.snapshot.asyncio->loops) {
    auto deque = python::instance_attr_str(ro, loop.address, "_ready");
    if (!deque) continue;
    auto size = ro.field(*deque, r.runtime->layout->varobject_size);
    if (size && *size < (uint64_t{1} << 40)) out[loop.address.value()] = *size;
  }
  return out;
}

// Findings 2 and 4: threading locks and the GIL (python_lock_rules, gil_rules).
void check_python(Target& target, const Read& last, const Read* first, double watch_seconds,
                  DoctorReport& report) {
  if (!last.runtime || !last.snapshot.python) return;
  check_gil(last.gil, first ? &first->gil : nullptr, watch_seconds, last.snapshot, report);
  check_python_locks(find_python_lock_waits(last.snapshot, *last.runtime, target), last.gil,
                     last.snapshot, report);
}

}  // namespace

Result<DoctorRun> run_doctor(Target& target, const DoctorOptions& options) {
  auto first = read_once(target);
  if (!first) return first.error();
  std::optional<Read> second;
  if (options.watch_seconds > 0 && target.kind() == TargetKind::kLive) {
    // In steps of 100 ms, so a progress display can count down.
    auto total = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(options.watch_seconds));
    auto start = std::chrono::steady_clock::now();
    for (auto waited = std::chrono::milliseconds(0); waited < total;) {
      if (options.progress)
        options.progress("watching", static_cast<uint64_t>(waited.count()),
                         static_cast<uint64_t>(total.count()));
      std::this_thread::sleep_for(std::min(total - waited, std::chrono::milliseconds(100)));
      waited = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
    }
    auto r = read_once(target);
    if (!r) return r.error();
    second = std::move(*r);
  }
  const Read& last = second ? *second : *first;

  DoctorRun run;
  run.snapshot = last.snapshot;
  run.snapshot.crash = read_crash_info(target);
  check_crash(run.snapshot, run.report);
  check_native(target, last.snapshot, run.report);
  check_python(target, last, second ? &*first : nullptr, options.watch_seconds, run.report);
  check_asyncio(last.snapshot, run.report);
  check_event_loops(last.snapshot, read_ready_queues(target, last),
                    second ? &first->snapshot : nullptr, options.watch_seconds, run.report);
  if (target.kind() == TargetKind::kLive) {
    check_resources(read_process_resources(target.pid()), run.report);
  } else {
    run.report.not_checked.push_back(
        "resources (open files, child processes): not recorded in a core");
  }
  if (second) {
    check_watch(first->snapshot, first->cpu, second->snapshot, second->cpu, options.watch_seconds,
                run.report);
  } else {
    run.report.not_checked.push_back(
        "stuck versus working threads: needs two reads (--watch SECONDS, live processes)");
  }
  run.report.sort();
  return run;
}

}  // namespace corostack::diagnose
