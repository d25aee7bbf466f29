#include "python/interpreter_threads.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

namespace corostack::python {
namespace {

// What names the OS thread: the kernel TID where the version records it
// (3.11+), else the pthread_t; none for a state not bound to a thread yet.
std::optional<std::pair<bool, uint64_t>> os_thread_key(const PyThread& t) {
  if (t.native_tid > 0) return std::pair(true, static_cast<uint64_t>(t.native_tid));
  if (t.thread_id != 0) return std::pair(false, t.thread_id);
  return std::nullopt;
}

// Innermost first.
void order_states(std::vector<PyThread*>& states) {
  bool anchored = true;
  for (const PyThread* s : states)
    if (!s->frames.empty() && s->cstack_anchor.is_null()) anchored = false;
  std::stable_sort(states.begin(), states.end(), [&](const PyThread* a, const PyThread* b) {
    if (a->frames.empty() != b->frames.empty()) return b->frames.empty();
    if (anchored) return a->cstack_anchor.value() < b->cstack_anchor.value();
    return a->interpreter > b->interpreter;
  });
}

PyThread merge(std::vector<PyThread*>& states) {
  order_states(states);
  PyThread out = std::move(*states.front());
  for (size_t i = 1; i < states.size(); ++i) {
    PyThread& s = *states[i];
    // The outermost state is the thread's own (it started the thread, or is
    // the main thread's): its pthread_t is right even where an inner one's
    // is stale (gh-109860 before 3.11 records no kernel TID to tell).
    if (s.thread_id != 0) out.thread_id = s.thread_id;
    out.outer_tstates.push_back(s.tstate);
    out.outer_tstates.insert(out.outer_tstates.end(), s.outer_tstates.begin(),
                             s.outer_tstates.end());
    out.outer_interpreters.push_back(s.interpreter);
    out.outer_interpreters.insert(out.outer_interpreters.end(), s.outer_interpreters.begin(),
                                  s.outer_interpreters.end());
    out.holds_gil = out.holds_gil || s.holds_gil;
    // The thread's own name is the one its outermost interpreter gave it.
    if (!s.name.empty()) out.name = std::move(s.name);
    if (out.native_tid <= 0) out.native_tid = s.native_tid;
    for (PyFrame& f : s.frames) out.frames.push_back(std::move(f));
    for (std::string& e : s.errors) out.errors.push_back(std::move(e));
  }
  return out;
}

}  // namespace

void join_interpreter_threads(std::vector<PyThread>& threads, const StackOwner& owner) {
  if (owner) {
    for (PyThread& t : threads) {
      if (t.cstack_anchor.is_null()) continue;
      auto tid = owner(t.cstack_anchor);
      if (!tid || *tid == t.native_tid) continue;
      // Its pthread_t is the recorded thread's too: unknown here.
      if (t.native_tid > 0) t.thread_id = 0;
      t.native_tid = *tid;
    }
  }
  std::vector<std::vector<size_t>> groups;
  std::map<std::pair<bool, uint64_t>, size_t> group_of;
  for (size_t i = 0; i < threads.size(); ++i) {
    auto key = os_thread_key(threads[i]);
    if (!key) {
      groups.push_back({i});
      continue;
    }
    auto [it, added] = group_of.emplace(*key, groups.size());
    if (added)
      groups.push_back({i});
    else
      groups[it->second].push_back(i);
  }
  if (groups.size() == threads.size()) return;
  std::vector<PyThread> joined;
  joined.reserve(groups.size());
  for (auto& g : groups) {
    std::vector<PyThread*> states;
    for (size_t i : g) states.push_back(&threads[i]);
    joined.push_back(g.size() == 1 ? std::move(threads[g.front()]) : merge(states));
  }
  threads = std::move(joined);
}

}  // namespace corostack::python
