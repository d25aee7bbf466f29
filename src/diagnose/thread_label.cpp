#include "diagnose/thread_label.hpp"

namespace corostack::diagnose {

const ThreadSnapshot* find_thread(const ProcessSnapshot& snap, pid_t tid) {
  for (const ThreadSnapshot& t : snap.threads)
    if (t.tid == tid) return &t;
  return nullptr;
}

std::string thread_label(const ProcessSnapshot& snap, pid_t tid) {
  std::string s = "thread " + std::to_string(tid);
  const ThreadSnapshot* t = find_thread(snap, tid);
  if (t && !t->name.empty()) s += " \"" + t->name + "\"";
  return s;
}

}  // namespace corostack::diagnose
