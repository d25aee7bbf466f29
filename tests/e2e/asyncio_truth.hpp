#pragma once
// The truth tests/targets/python/py_asyncio.py writes about itself (JSON; the
// format is described at the top of that script).
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace e2e {

struct AsyncTruthFrame {
  std::string file;                     // absolute path
  std::string co_filename;              // as the code object has it
  std::string func;                     // co_name
  std::optional<std::string> qualname;  // co_qualname, 3.11+
  int line = 0;
};

struct AsyncTruthTask {
  std::string name;
  uint64_t id = 0;                         // id(task): the task object's address
  std::string loop;                        // "main" or "loop2"
  std::string state;                       // "pending", "done" or "cancelled"
  bool c_task = false;                     // the C _asyncio.Task, not the pure-Python _PyTask
  bool running = false;                    // its loop's current task (only l2_blocker)
  std::vector<AsyncTruthFrame> stack;      // innermost first; empty unless pending
  std::string awaits_kind;                 // "task", "future", "none" or "other"
  std::string awaits_type;                 // type name of the awaited future ("NoneType" if none)
  std::optional<std::string> awaits_task;  // the awaited task's name, when one of ours
};

struct AsyncTruthEdge {
  std::string child;  // awaited by parent
  std::string parent;
  std::string via;  // "await", "gather", "taskgroup", "wait_for", "shield" or "wait"
};

struct AsyncTruthThread {
  std::string name;    // threading name
  uint64_t ident = 0;  // threading ident (pthread_t)
  pid_t tid = 0;
  std::optional<std::string> loop;  // name of the loop it runs, if any
};

struct AsyncTruthLoop {
  std::string name;  // "main" or "loop2"
  uint64_t id = 0;   // id(loop)
  uint64_t thread_ident = 0;
  std::optional<std::string> current_task;  // after the ready signal
};

struct AsyncTruthCoroutine {
  uint64_t id = 0;  // id(coroutine)
  std::string qualname;
};

struct AsyncTruth {
  pid_t pid = 0;
  std::string python;  // "3.11.7"
  std::vector<int> version_info;
  std::string executable;
  std::string script;
  std::vector<AsyncTruthThread> threads;
  std::vector<AsyncTruthLoop> loops;
  std::vector<AsyncTruthTask> tasks;
  std::vector<AsyncTruthEdge> edges;
  std::vector<std::vector<std::string>> cycles;
  std::vector<AsyncTruthCoroutine> unawaited;  // coroutine objects never scheduled
  int many = 0;                                // --many N: tasks bulk_0..bulk_N-1

  const AsyncTruthTask* task(const std::string& name) const;
};

// Throw std::runtime_error on malformed input.
AsyncTruth parse_asyncio_truth(const std::string& text);
AsyncTruth read_asyncio_truth(const std::filesystem::path& path);

}  // namespace e2e
