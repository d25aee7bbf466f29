#pragma once
// The facts `doctor` needs about Python threads, read from the target after
// the snapshot (blocked threads cannot change what they sleep on): which
// threading lock each blocked thread waits on (python/lock_objects), who owns
// it (an RLock's owner ident, mapped to a thread), the names that refer to it
// (the waiting frame's locals, the module globals of its file and of
// __main__, one attribute deep: `ledger_lock`, `alice.lock`, `self.lock`),
// whether the wait is an idle one (a worker in Queue.get, Event.wait,
// Condition.wait, Thread.join), and the GIL: its holder, the threads sleeping
// on its condition variable, its switch counter. The rules
// (python_lock_rules, gil_rules) are pure functions of these.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "python/gil_state.hpp"
#include "python/python_locator.hpp"
#include "snapshot/snapshot.hpp"
#include "target/memory_reader.hpp"

namespace corostack::diagnose {

struct PyLockWaitFact {
  pid_t tid = 0;
  // "threading.RLock", "threading.Lock", "threading.Semaphore"
  std::string lock_kind;
  uint64_t lock_address = 0;  // 0: the object was not found
  pid_t holder = 0;           // an RLock's owner thread; 0: none recorded or not ours
  uint64_t holder_ident = 0;  // the owner's ident as the RLock records it
  uint64_t count = 0;         // how many times the owner holds it (RLock)
  std::string lock_name;      // "ledger_lock", "alice.lock"; may be empty
  std::string waiter_frame;   // "payer at py_locks.py:75": the code that asked for it
  // Non-empty: a healthy wait for work or an event, not for a lock someone
  // holds too long ("Queue.get", "Event.wait", "Condition.wait", "Thread.join").
  std::string idle_in;
};

struct GilFacts {
  bool known = false;          // the GIL could be read (not 2.7/3.6, not unreadable)
  bool free_threaded = false;  // a --disable-gil build running without a GIL
  uint64_t address = 0;
  pid_t holder = 0;            // 0: nobody holds it
  std::vector<pid_t> waiters;  // threads asleep waiting for it (not the holder)
  std::optional<uint64_t> switch_number;
};

// Reads the Python facts for `snap` (taken with native frames merged).
// Returns nothing useful for non-Python targets.
std::vector<PyLockWaitFact> find_python_lock_waits(const ProcessSnapshot& snap,
                                                   const python::PythonRuntime& runtime,
                                                   const MemoryReader& memory);

GilFacts read_gil_facts(const ProcessSnapshot& snap, const python::PythonRuntime& runtime,
                        const MemoryReader& memory);

// Classifies a thread's Python stack (innermost first) by the threading /
// queue frames on top: the idle wait it is in ("Queue.get", ...), or
// "Semaphore.acquire", or "" when those frames are not on top. `user_frame`
// gets the index of the first frame outside threading.py and queue.py.
std::string threading_wait_of(const ThreadSnapshot& t, size_t* user_frame);

}  // namespace corostack::diagnose
