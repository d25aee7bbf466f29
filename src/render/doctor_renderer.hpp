#pragma once
// `doctor`'s report: findings most severe first, each with its evidence,
// then what was checked and found healthy, then one summary line. Text for
// people, JSON (docs/json-schema.md, "doctor") for scripts.
#include <ostream>

#include "diagnose/finding.hpp"
#include "snapshot/snapshot.hpp"

namespace corostack {

void render_doctor_text(const ProcessSnapshot& snap, const diagnose::DoctorReport& report,
                        bool color, std::ostream& out);
void render_doctor_json(const ProcessSnapshot& snap, const diagnose::DoctorReport& report,
                        std::ostream& out);

// "1 critical finding: deadlock: 2 threads ..." or "no findings".
std::string doctor_summary_line(const diagnose::DoctorReport& report);

}  // namespace corostack
