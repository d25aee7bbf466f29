#include "diagnose/doctor.hpp"

#include <chrono>
#include <memory>
#include <thread>

#include "diagnose/asyncio_rules.hpp"
#include "diagnose/data_symbols.hpp"
#include "diagnose/native_lock_rules.hpp"
#include "diagnose/native_lock_waits.hpp"
#include "diagnose/process_resources.hpp"
#include "diagnose/watch_rules.hpp"
#include "native/dwfl_session.hpp"
#include "snapshot/python_snapshot.hpp"

namespace corostack::diagnose {
namespace {

struct Read {
  ProcessSnapshot snapshot;
  std::optional<python::PythonRuntime> runtime;
  ThreadCpuTimes cpu;  // live only
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

}  // namespace

Result<DoctorRun> run_doctor(Target& target, const DoctorOptions& options) {
  auto first = read_once(target);
  if (!first) return first.error();
  std::optional<Read> second;
  if (options.watch_seconds > 0 && target.kind() == TargetKind::kLive) {
    std::this_thread::sleep_for(std::chrono::duration<double>(options.watch_seconds));
    auto r = read_once(target);
    if (!r) return r.error();
    second = std::move(*r);
  }
  const Read& last = second ? *second : *first;

  DoctorRun run;
  check_native(target, last.snapshot, run.report);
  check_asyncio(last.snapshot, run.report);
  if (target.kind() == TargetKind::kLive) {
    check_resources(read_process_resources(target.pid()), run.report);
  } else {
    run.report.not_checked.push_back(
        "resources (open files, child processes): not recorded in a core");
  }
  if (second) {
    check_watch(first->snapshot, first->cpu, second->snapshot, second->cpu,
                options.watch_seconds, run.report);
  } else {
    run.report.not_checked.push_back(
        "stuck versus working threads: needs two reads (--watch SECONDS, live processes)");
  }
  run.report.sort();
  run.snapshot = last.snapshot;
  return run;
}

}  // namespace corostack::diagnose
