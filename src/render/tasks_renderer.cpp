#include "render/tasks_renderer.hpp"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/escape.hpp"
#include "base/hex.hpp"

namespace corostack {
namespace {

using asyncio::AsyncEdge;
using asyncio::AsyncioState;
using asyncio::AsyncTask;

std::string text(const std::string& s) {
  return escape_for_terminal(s, 512);
}

// "sleep -> play": function names, innermost first, as asyncio ps prints them.
std::string chain(const AsyncTask& t) {
  std::string out;
  for (const python::PyFrame& f : t.stack) {
    if (!out.empty()) out += " -> ";
    out += f.function;
  }
  return out;
}

pid_t tid_of(const ProcessSnapshot& snap, const AsyncTask& t) {
  if (t.thread_id == 0) return 0;
  const ThreadSnapshot* th = snap.python_thread(t.thread_id);
  return th ? th->tid : 0;
}

// The orphaned wait of task `t` (doctor's finding 5), if it has one.
const asyncio::OrphanedWait* orphan_of(const AsyncioState& s, const AsyncTask& t) {
  for (const asyncio::OrphanedWait& o : s.orphaned)
    if (o.task < s.tasks.size() && &s.tasks[o.task] == &t) return &o;
  return nullptr;
}

std::string waits_on(const AsyncioState& s, const AsyncTask& t) {
  if (t.awaiting_task) return "Task " + s.tasks[*t.awaiting_task].name;
  std::string text =
      t.awaiting_owner.empty() ? t.awaiting_type : t.awaiting_type + " (" + t.awaiting_owner + ")";
  if (const asyncio::OrphanedWait* o = orphan_of(s, t); o && !o->root) text += " [unreachable]";
  return text;
}

std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace

void render_tasks_table(const ProcessSnapshot& snap, std::ostream& out) {
  if (!snap.asyncio) return;
  const AsyncioState& s = *snap.asyncio;
  // Several interpreters: a last column says whose each task is.
  bool interpreters = snap.python && snap.python->interpreters.size() > 1;
  out << fmt::format("{:<10} {:<20} {:<20} {:<9} {:<50} {:<20} {:<50} {:<15} {:<15}", "tid",
                     "task id", "task name", "state", "coroutine stack", "waits on",
                     "awaiter chain", "awaiter name", "awaiter id");
  out << (interpreters ? " interpreter\n" : "\n");
  out << std::string(interpreters ? 227 : 215, '-') << '\n';
  auto interp = [&](const AsyncTask& t) {
    if (!interpreters) return std::string("\n");
    return " " + (t.interpreter >= 0 ? std::to_string(t.interpreter) : std::string("?")) + "\n";
  };
  std::multimap<size_t, const AsyncEdge*> awaiters;
  for (const AsyncEdge& e : s.edges) awaiters.emplace(e.child, &e);
  for (size_t i = 0; i < s.tasks.size(); ++i) {
    const AsyncTask& t = s.tasks[i];
    pid_t tid = tid_of(snap, t);
    std::string head = fmt::format("{} {} {} {} {} {}", pad(tid ? std::to_string(tid) : "?", 10),
                                   pad(hex_address(t.address.value()), 20), pad(text(t.name), 20),
                                   pad(asyncio::task_state_name(t.state), 9),
                                   pad(text(chain(t)), 50), pad(text(waits_on(s, t)), 20));
    auto [from, to] = awaiters.equal_range(i);
    if (from == to) {
      out << head << ' ' << pad("", 50) << ' ' << pad("", 15) << ' '
          << (interpreters ? pad("0x0", 15) : "0x0") << interp(t);
      continue;
    }
    for (auto it = from; it != to; ++it) {
      const AsyncTask& p = s.tasks[it->second->parent];
      out << head << ' ' << pad(text(chain(p)), 50) << ' ' << pad(text(p.name), 15) << ' '
          << (interpreters ? pad(hex_address(p.address.value()), 15)
                           : hex_address(p.address.value()))
          << interp(t);
    }
  }
}

void render_unawaited(const ProcessSnapshot& snap, std::ostream& out) {
  if (snap.asyncio && !snap.asyncio->unawaited_not_checked.empty())
    out << "\nCoroutines never awaited: not looked for: " << snap.asyncio->unawaited_not_checked
        << '\n';
  if (!snap.asyncio || snap.asyncio->unawaited.empty()) return;
  const auto& list = snap.asyncio->unawaited;
  out << "\nCoroutines never awaited (" << list.size() << "):\n";
  for (const asyncio::UnawaitedCoroutine& c : list) {
    out << "  " << pad(hex_address(c.address.value()), 16) << ' ' << text(c.qualname) << "  "
        << text(c.filename) << ':' << c.line << '\n';
  }
}

std::vector<std::string> describe_cycles(const ProcessSnapshot& snap) {
  std::vector<std::string> lines;
  if (!snap.asyncio) return lines;
  const AsyncioState& s = *snap.asyncio;
  for (const auto& cycle : s.cycles) {
    if (cycle.empty()) continue;
    std::string line = "cycle: ";
    for (size_t i : cycle) line += text(s.tasks[i].name) + " \u2192 ";
    line += text(s.tasks[cycle.front()].name);
    lines.push_back(std::move(line));
  }
  return lines;
}

// The pstree form: a task's awaiter chain (its coroutine frames, outermost
// first) hangs under it, and each task it waits on hangs under the innermost
// of those frames; tasks that wait on no task show their own frames.
bool render_tasks_tree(const ProcessSnapshot& snap, std::ostream& out) {
  if (!snap.asyncio) return true;
  const AsyncioState& s = *snap.asyncio;
  if (!s.cycles.empty()) return false;
  struct Node {
    std::string label;
    std::vector<size_t> children;
    std::map<std::string, size_t> by_label;  // coroutine children, for sharing
    std::set<size_t> task_children;          // task indices already attached
  };
  std::vector<Node> nodes;
  std::vector<size_t> task_node(s.tasks.size());
  // Several interpreters: each task says whose it is, as the table's last column does.
  bool interpreters = snap.python && snap.python->interpreters.size() > 1;
  for (size_t i = 0; i < s.tasks.size(); ++i) {
    task_node[i] = nodes.size();
    std::string label = "(T) " + text(s.tasks[i].name);
    if (interpreters)
      label += s.tasks[i].interpreter >= 0
                   ? " [interpreter " + std::to_string(s.tasks[i].interpreter) + "]"
                   : std::string(" [interpreter ?]");
    nodes.push_back({label, {}, {}, {}});
  }
  auto coroutine_node = [&](size_t parent, const python::PyFrame& f) {
    std::string label =
        " " + text(f.function) + " " + text(f.filename) + ":" + std::to_string(f.line);
    auto it = nodes[parent].by_label.find(label);
    if (it != nodes[parent].by_label.end()) return it->second;
    size_t id = nodes.size();
    nodes.push_back({label, {}, {}, {}});
    nodes[parent].children.push_back(id);
    nodes[parent].by_label.emplace(label, id);
    return id;
  };
  auto hang_frames = [&](size_t start, const AsyncTask& t) {
    size_t cur = start;
    for (auto f = t.stack.rbegin(); f != t.stack.rend(); ++f) cur = coroutine_node(cur, *f);
    return cur;
  };
  std::vector<bool> awaits_someone(s.tasks.size(), false);
  std::vector<bool> is_child(s.tasks.size(), false);
  for (const AsyncEdge& e : s.edges) {
    awaits_someone[e.parent] = true;
    is_child[e.child] = true;
    size_t cur = hang_frames(task_node[e.parent], s.tasks[e.parent]);
    if (nodes[cur].task_children.insert(e.child).second)
      nodes[cur].children.push_back(task_node[e.child]);
  }
  for (size_t i = 0; i < s.tasks.size(); ++i)
    if (!awaits_someone[i]) hang_frames(task_node[i], s.tasks[i]);

  // Edges in a cycle not listed in s.cycles must not recurse forever.
  std::vector<bool> on_path(nodes.size(), false);
  std::function<void(size_t, const std::string&, bool)> print =
      [&](size_t n, const std::string& prefix, bool last) {
        out << prefix << (last ? "\u2514\u2500\u2500 " : "\u251c\u2500\u2500 ") << nodes[n].label
            << (on_path[n] ? " (cycle)" : "") << '\n';
        if (on_path[n]) return;
        on_path[n] = true;
        std::string next = prefix + (last ? "    " : "\u2502   ");
        for (size_t c = 0; c < nodes[n].children.size(); ++c)
          print(nodes[n].children[c], next, c + 1 == nodes[n].children.size());
        on_path[n] = false;
      };
  std::vector<size_t> roots;
  for (size_t i = 0; i < s.tasks.size(); ++i)
    if (!is_child[i]) roots.push_back(task_node[i]);
  for (size_t r = 0; r < roots.size(); ++r) print(roots[r], "", r + 1 == roots.size());
  return true;
}

void render_tasks_json(const ProcessSnapshot& snap, std::ostream& out) {
  using nlohmann::json;
  json j;
  j["pid"] = snap.pid;
  j["pause_ns"] = snap.pause_ns;
  if (!snap.core_path.empty()) j["core"] = sanitize_utf8(snap.core_path);
  if (snap.python) j["python"] = {{"version", snap.python->version}};
  std::vector<std::string> tasks;  // each dumped as soon as it is built
  json loops = json::array();
  json edges = json::array();
  json cycles = json::array();
  json errors = json::array();
  json unawaited = json::array();
  if (snap.asyncio) {
    const AsyncioState& s = *snap.asyncio;
    for (const AsyncTask& t : s.tasks) {
      json stack = json::array();
      for (const python::PyFrame& f : t.stack)
        stack.push_back({{"function", sanitize_utf8(f.function)},
                         {"file", sanitize_utf8(f.filename)},
                         {"line", f.line > 0 ? json(f.line) : json(nullptr)}});
      json tj = {{"id", hex_address(t.address.value())},
                 {"name", sanitize_utf8(t.name)},
                 {"state", asyncio::task_state_name(t.state)},
                 {"c_task", t.c_task},
                 {"running", t.running},
                 {"loop", t.loop.is_null() ? json(nullptr) : json(hex_address(t.loop.value()))},
                 {"interpreter", t.interpreter >= 0 ? json(t.interpreter) : json(nullptr)},
                 {"thread", nullptr},
                 {"stack", stack},
                 {"awaiting", nullptr},
                 {"errors", t.errors}};
      if (t.thread_id) {
        const ThreadSnapshot* th = snap.python_thread(t.thread_id);
        tj["thread"] = {{"ident", t.thread_id}, {"tid", th ? json(th->tid) : json(nullptr)}};
      }
      if (!t.awaiting.is_null()) {
        tj["awaiting"] = {
            {"id", hex_address(t.awaiting.value())},
            {"type", sanitize_utf8(t.awaiting_type)},
            {"owner",
             t.awaiting_owner.empty() ? json(nullptr) : json(sanitize_utf8(t.awaiting_owner))},
            {"task", t.awaiting_task ? json(sanitize_utf8(s.tasks[*t.awaiting_task].name))
                                     : json(nullptr)}};
        // Only the task references what it waits on (the object may be the
        // primitive holding the future: an Event, a Queue).
        if (const asyncio::OrphanedWait* o = orphan_of(s, t))
          tj["awaiting"]["orphaned"] = {{"object", hex_address(o->object.value())},
                                        {"type", sanitize_utf8(o->what)},
                                        {"references", o->references},
                                        {"run_forever", o->root}};
      }
      for (auto& e : tj["errors"]) e = sanitize_utf8(e.get<std::string>());
      tasks.push_back(tj.dump());
    }
    for (const asyncio::AsyncLoop& l : s.loops) {
      loops.push_back({{"id", hex_address(l.address.value())},
                       {"type", sanitize_utf8(l.type)},
                       {"thread_ident", l.thread_id ? json(l.thread_id) : json(nullptr)},
                       {"current_task",
                        l.current_task ? json(hex_address(s.tasks[*l.current_task].address.value()))
                                       : json(nullptr)}});
    }
    for (const AsyncEdge& e : s.edges)
      edges.push_back({{"child", hex_address(s.tasks[e.child].address.value())},
                       {"parent", hex_address(s.tasks[e.parent].address.value())},
                       {"via", e.via}});
    for (const auto& c : s.cycles) {
      json ids = json::array();
      for (size_t i : c) ids.push_back(hex_address(s.tasks[i].address.value()));
      cycles.push_back(ids);
    }
    for (const std::string& e : s.errors) errors.push_back(sanitize_utf8(e));
    for (const asyncio::UnawaitedCoroutine& c : s.unawaited)
      unawaited.push_back({{"id", hex_address(c.address.value())},
                           {"qualname", sanitize_utf8(c.qualname)},
                           {"file", sanitize_utf8(c.filename)},
                           {"line", c.line > 0 ? json(c.line) : json(nullptr)}});
    j["gc_objects_scanned"] = s.gc_objects_scanned;
  }
  j["asyncio_imported"] = snap.asyncio && snap.asyncio->imported;
  j["loops"] = loops;
  j["edges"] = edges;
  j["cycles"] = cycles;
  j["unawaited"] = unawaited;
  if (snap.asyncio && !snap.asyncio->unawaited_not_checked.empty())
    j["unawaited_not_checked"] = snap.asyncio->unawaited_not_checked;
  j["errors"] = errors;
  // Streamed one task per line: 10 000 tasks in one nlohmann tree cost more
  // than reading them.
  std::string head = j.dump();
  head.pop_back();  // the closing brace
  out << head << ",\"tasks\":[";
  for (size_t i = 0; i < tasks.size(); ++i) {
    out << (i ? ",\n" : "\n") << tasks[i];
  }
  out << "\n]}\n";
}

}  // namespace corostack
