#pragma once
// `doctor`: read the process as gently as `dump` (once, or twice `--watch`
// seconds apart), gather the facts each rule needs (lock owners, the GIL,
// loop state, CPU times), run every rule, and return the findings with the
// snapshot they were made from. Rules are pure functions of those facts
// (diagnose/*_rules); nothing here prints.
#include <optional>

#include "base/progress.hpp"
#include "base/result.hpp"
#include "diagnose/finding.hpp"
#include "snapshot/snapshot.hpp"
#include "target/target.hpp"

namespace corostack::diagnose {

struct DoctorOptions {
  double watch_seconds = 0;  // > 0: read twice, this far apart (live only)
  ProgressFn progress;       // while waiting between the reads: milliseconds waited of total
};

struct DoctorRun {
  ProcessSnapshot snapshot;  // the last read
  DoctorReport report;
};

Result<DoctorRun> run_doctor(Target& target, const DoctorOptions& options);

}  // namespace corostack::diagnose
