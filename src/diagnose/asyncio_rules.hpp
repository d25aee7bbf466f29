#pragma once
// Finding 5 of `doctor`, from the asyncio walk `tasks` does: tasks that await
// each other in a cycle can never finish; coroutines created and never
// awaited never run at all.
#include "diagnose/finding.hpp"
#include "snapshot/snapshot.hpp"

namespace corostack::diagnose {

void check_asyncio(const ProcessSnapshot& snap, DoctorReport& report);

// "slow_handler at app.py:61" for a Python frame.
std::string python_frame_text(const python::PyFrame& f);

}  // namespace corostack::diagnose
