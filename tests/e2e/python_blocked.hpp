#pragma once
// Waiting for a Python target's threads to be asleep before reading it: the
// truth says where each thread blocks, the kernel says whether it is there yet.
#include <gtest/gtest.h>
#include <sys/types.h>

#include "python_truth.hpp"

namespace e2e {

// The kernel's state letter for a task ('?' when it cannot be read).
char task_state(pid_t pid, pid_t tid);

// Waits (bounded, 10 s) until every thread of the truth but the spinner
// sleeps, and the main thread sleeps in read() (x86-64).
testing::AssertionResult wait_blocked(const PyTruth& truth, pid_t pid);

}  // namespace e2e
