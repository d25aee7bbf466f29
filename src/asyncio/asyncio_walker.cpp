#include "asyncio/asyncio_walker.hpp"

#include <algorithm>
#include <functional>
#include <unordered_map>
#include <unordered_set>

#include "python/asyncio_debug.hpp"
#include "python/code_cache.hpp"
#include "python/deque_reader.hpp"
#include "python/dict_reader.hpp"
#include "python/frame_decoder.hpp"
#include "python/generator_frames.hpp"
#include "python/instance_dict.hpp"
#include "python/module_globals.hpp"
#include "python/set_reader.hpp"
#include "python/suspended_frame_slots.hpp"

namespace corostack::asyncio {

// Python objects read from the target, throughout.
using namespace corostack::python;

namespace {

// fut_state (Modules/_asynciomodule.c, 3.8-3.15): STATE_PENDING,
// STATE_CANCELLED, STATE_FINISHED in that order.
constexpr uint64_t kStatePending = 0;
constexpr uint64_t kStateCancelled = 1;
constexpr uint64_t kStateFinished = 2;

constexpr size_t kMaxTypeDepth = 32;        // tp_base steps when looking for a base class
constexpr size_t kMaxSequenceItems = 4096;  // items of a callbacks list, closure, children
constexpr size_t kMaxNameCodePoints = 256;

bool is_generator_type(const std::string& t) {
  return t == "coroutine" || t == "generator" || t == "async_generator";
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// How a done callback links a child to the task that waits on it, by the
// callback function's name (asyncio/tasks.py, taskgroups.py).
std::string via_for(const std::string& function) {
  if (function == "_on_task_done") return "taskgroup";
  if (function == "_release_waiter") return "wait_for";
  if (function == "_on_completion") return "wait";
  if (function == "_inner_done_callback" || function == "_outer_done_callback") return "shield";
  if (function == "_done_callback") return "gather";
  return "callback";
}

class AsyncWalker {
 public:
  AsyncWalker(const MemoryReader& mem, const PythonRuntime& rt, const PyProcess& threads,
              const AsyncWalkOptions& opt)
      : rt_(rt),
        l_(*rt.layout),
        threads_(threads),
        opt_(opt),
        ro_(mem, l_),
        codes_(ro_),
        frames_(rt, ro_, codes_, {}) {}

  AsyncioState run();

 private:
  void collect(RemoteAddr globals);
  void collect_task_lists(RemoteAddr interp);
  void collect_module_state(RemoteAddr interp);
  void visit_registry_set(RemoteAddr set, bool weak, const char* what);
  void visit_task_list(RemoteAddr head, const char* what);
  void running_from_thread_states();
  void mark_running(size_t loop, size_t task);
  void awaited_by_edges();
  void add_task(RemoteAddr task);
  void read_task(AsyncTask& t);
  void read_stack(RemoteAddr coro, AsyncTask& t);
  void read_loops(const std::vector<RemoteAddr>& registries);
  void link_tasks();
  void callback_edges(size_t child, RemoteAddr callback);
  void queue_edges(size_t child, RemoteAddr obj);
  void find_cycles();
  void find_unawaited();
  void find_orphaned();
  std::optional<RemoteAddr> waited_primitive(const AsyncTask& t);
  bool is_run_root(const AsyncTask& t);

  bool is_none(RemoteAddr obj) { return has_type(ro_, obj, "NoneType"); }
  bool has_base(RemoteAddr obj, std::string_view name);
  std::optional<RemoteAddr> attr(RemoteAddr obj, std::string_view name);
  std::vector<RemoteAddr> sequence(RemoteAddr obj);  // list or tuple items
  std::vector<RemoteAddr> callbacks(const AsyncTask& t);
  std::vector<RemoteAddr> callbacks_of(RemoteAddr future, bool c_future);
  std::string owner_of(const AsyncTask& t);
  std::string function_name(RemoteAddr function);
  void edge(size_t child, size_t parent, std::string via);

  const PythonRuntime& rt_;
  const PythonLayout& l_;
  const PyProcess& threads_;
  const AsyncWalkOptions& opt_;
  RemoteObjects ro_;
  CodeCache codes_;
  FrameDecoder frames_;
  AsyncioState out_;
  std::unordered_map<RemoteAddr, size_t> index_;      // task address -> index
  std::unordered_map<RemoteAddr, size_t> waiters_;    // future a task waits on -> that task
  std::unordered_map<RemoteAddr, RemoteAddr> coro_;   // task -> its coroutine
  std::unordered_map<RemoteAddr, bool> c_types_;      // type -> is a C task type
  std::unordered_map<RemoteAddr, size_t> loops_;      // loop address -> index in out_.loops
  int64_t interpreter_ = -1;                          // of the registry being read
  std::unordered_set<RemoteAddr> shared_registries_;  // task sets of several interpreters
};

AsyncioState AsyncWalker::run() {
  struct Registry {
    RemoteAddr interp;
    int64_t id;
    RemoteAddr globals;  // asyncio.tasks' module dict
  };
  std::vector<Registry> found;
  // Each interpreter imports asyncio for itself: the thread walk listed them.
  for (const PyInterpreter& i : threads_.interpreters) {
    if (auto globals = module_globals(ro_, i.address, "asyncio.tasks"))
      found.push_back({i.address, i.id, *globals});
  }
  // Up to 3.11 asyncio.tasks takes its registry from _asyncio, a module
  // every interpreter shares: a set seen in two says nothing of whose a task is.
  std::unordered_map<RemoteAddr, int> users;
  for (const Registry& r : found)
    for (const char* name : {"_scheduled_tasks", "_all_tasks", "_eager_tasks"})
      if (auto set = dict_get_str(ro_, r.globals, name)) ++users[*set];
  for (const auto& [set, n] : users)
    if (n > 1) shared_registries_.insert(set);

  std::vector<RemoteAddr> registries;
  for (const Registry& r : found) {
    out_.imported = true;
    interpreter_ = r.id;
    if (l_.task_node.present()) {
      collect_task_lists(r.interp);
      collect_module_state(r.interp);
    }
    // 3.14+ still registers pure-Python tasks (_PyTask) here, through
    // asyncio.tasks._py_register_task.
    collect(r.globals);
    registries.push_back(r.globals);
  }
  if (out_.imported) {
    for (AsyncTask& t : out_.tasks) read_task(t);
    read_loops(registries);
    for (AsyncTask& t : out_.tasks) {
      if (!t.running) read_stack(coro_[t.address], t);
    }
    link_tasks();
    awaited_by_edges();
    find_cycles();
    if (opt_.find_orphaned) find_orphaned();
  }
  if (opt_.find_unawaited) find_unawaited();
  return std::move(out_);
}

void AsyncWalker::find_unawaited() {
  if (l_.free_threaded) {
    out_.unawaited_not_checked =
        "a free-threaded build keeps no GC object lists (its objects live in mimalloc heaps)";
    return;
  }
  std::unordered_set<RemoteAddr> owned;
  for (const auto& [task, coro] : coro_) owned.insert(coro);
  auto scan =
      find_unawaited_coroutines(ro_, rt_, frames_, owned, opt_.max_gc_objects, opt_.max_unawaited);
  out_.unawaited = std::move(scan.coroutines);
  out_.gc_objects_scanned = scan.objects_scanned;
  for (std::string& e : scan.errors) out_.errors.push_back("unawaited coroutines: " + e);
}

// Pending tasks whose wait only they can see: the future in _fut_waiter,
// or, when asyncio's own code made it (Event.wait, Queue.get, ...), the
// primitive that keeps it among its waiters (`self` of the innermost frame).
void AsyncWalker::find_orphaned() {
  for (size_t i = 0; i < out_.tasks.size(); ++i) {
    const AsyncTask& t = out_.tasks[i];
    if (t.state != TaskState::kPending || t.running || t.awaiting_task || t.stack.empty() ||
        !t.errors.empty())
      continue;
    auto w = waiters_.find(t.awaiting);
    if (w == waiters_.end() || w->second != i) continue;  // no _fut_waiter: not parked on a future
    std::vector<RemoteAddr> frames;
    for (const PyFrame& f : t.stack) frames.push_back(f.frame);
    OrphanedWait o;
    o.task = i;
    Reachability r = reachability(ro_, frames, t.awaiting, 1, &o.references);
    o.object = t.awaiting;
    o.what = t.awaiting_type;
    if (r == Reachability::kElsewhere) {
      auto primitive = waited_primitive(t);
      if (!primitive) continue;
      r = reachability(ro_, frames, *primitive, 0, &o.references);
      o.object = *primitive;
      o.what = ro_.type_name_of(*primitive).value_or("?");
    }
    if (r != Reachability::kOnlyFromTask) continue;
    o.root = is_run_root(t);
    out_.orphaned.push_back(std::move(o));
  }
}

// The asyncio primitive a task waits on through asyncio's own code: the
// `self` (first local) of its innermost frame, when that is an Event,
// Condition, Lock, Semaphore or Queue (or a subclass).
std::optional<RemoteAddr> AsyncWalker::waited_primitive(const AsyncTask& t) {
  if (t.awaiting_owner.empty() || t.awaiting_owner == "sleep" ||
      t.awaiting_owner == "stream read" || t.awaiting_owner == "run_in_executor")
    return std::nullopt;
  auto slots = suspended_frame_slots(ro_, t.stack.front().frame, kMaxSequenceItems);
  if (!slots || slots->empty()) return std::nullopt;
  RemoteAddr self = slots->front().object;
  for (const char* base : {"Event", "Condition", "Lock", "Semaphore", "Queue"})
    if (has_base(self, base)) return self;
  return std::nullopt;
}

// asyncio.run and loop.run_until_complete put _run_until_complete_cb on the
// task they wait for.
bool AsyncWalker::is_run_root(const AsyncTask& t) {
  for (RemoteAddr cb : callbacks(t))
    if (has_type(ro_, cb, "function") && function_name(cb) == "_run_until_complete_cb") return true;
  return false;
}

// A registry set of tasks: a WeakSet's .data (weak: weakref.ref keys) or a
// plain set; dead references are skipped, the task count is capped.
void AsyncWalker::visit_registry_set(RemoteAddr set, bool weak, const char* what) {
  const uint64_t max_slots = std::max<uint64_t>(1 << 16, opt_.max_tasks * 8);
  SetWalk w = for_each_set_key(ro_, set, max_slots, [&](RemoteAddr key) {
    RemoteAddr task = key;
    if (weak) {
      auto ref = ro_.pointer_field(key, l_.weakref_object);
      if (!ref || ref->is_null() || is_none(*ref)) return true;  // dead: being collected
      task = *ref;
    }
    if (out_.tasks.size() >= opt_.max_tasks) {
      out_.errors.push_back("more than " + std::to_string(opt_.max_tasks) + " tasks");
      return false;
    }
    add_task(task);
    return true;
  });
  if (!w.valid) out_.errors.push_back(std::string(what) + " unreadable");
  if (w.cut && out_.tasks.size() < opt_.max_tasks)
    out_.errors.push_back(std::string(what) + " only partly readable");
}

// The registry: WeakSets (their .data: a set of weakref.ref) and plain sets.
void AsyncWalker::collect(RemoteAddr globals) {
  bool found = false;
  const int64_t own = interpreter_;
  for (const char* name : {"_scheduled_tasks", "_all_tasks"}) {
    auto weakset = dict_get_str(ro_, globals, name);
    if (!weakset) continue;
    found = true;
    interpreter_ = shared_registries_.contains(*weakset) ? -1 : own;
    auto data = attr(*weakset, "data");
    if (!data || !has_type(ro_, *data, "set")) {
      out_.errors.push_back(std::string("asyncio.tasks.") + name + ".data unreadable");
      continue;
    }
    visit_registry_set(*data, true, name);
  }
  if (auto eager = dict_get_str(ro_, globals, "_eager_tasks")) {
    found = true;
    interpreter_ = shared_registries_.contains(*eager) ? -1 : own;
    if (has_type(ro_, *eager, "set")) visit_registry_set(*eager, false, "_eager_tasks");
  }
  interpreter_ = own;
  if (!found)
    out_.errors.push_back("asyncio.tasks has no task registry this version of corostack knows");
}

// 3.14+: every _asyncio.Task is on an intrusive list (struct llist_node
// {next, prev}, Include/internal/pycore_llist.h): its thread's
// asyncio_tasks_head, or the interpreter's once that thread has exited
// (Modules/_asynciomodule.c, all_tasks()). The head is a node of its own;
// each other node is a TaskObj's task_node.
void AsyncWalker::collect_task_lists(RemoteAddr interp) {
  const int64_t id = interpreter_;
  for (const PyThread& th : threads_.threads) {
    for (const ThreadStateRef& ts : thread_states(th)) {
      if (ts.interpreter != id) continue;
      auto head =
          checked_offset(ts.tstate, static_cast<uint64_t>(l_.tstate_asyncio_tasks_head.offset));
      if (head && l_.tstate_asyncio_tasks_head.present())
        visit_task_list(*head, "a thread's task list");
    }
  }
  if (l_.interp_asyncio_tasks_head.present()) {
    auto head = checked_offset(interp, static_cast<uint64_t>(l_.interp_asyncio_tasks_head.offset));
    if (head) visit_task_list(*head, "the interpreter's task list");
  }
}

void AsyncWalker::visit_task_list(RemoteAddr head, const char* what) {
  std::unordered_set<RemoteAddr> seen;
  auto next = ro_.word(head);
  const uint64_t node_offset = static_cast<uint64_t>(l_.task_node.offset);
  while (next && RemoteAddr(*next) != head) {
    RemoteAddr node(*next);
    if (node.is_null() || node.value() < node_offset || !seen.insert(node).second) {
      out_.errors.push_back(std::string(what) + " is broken (null or cyclic)");
      return;
    }
    if (out_.tasks.size() >= opt_.max_tasks) {
      out_.errors.push_back("more than " + std::to_string(opt_.max_tasks) + " tasks");
      return;
    }
    add_task(RemoteAddr(node.value() - node_offset));
    next = ro_.word(node);
  }
  if (!next) out_.errors.push_back(std::string(what) + " unreadable");
}

// 3.14+: tasks that are not _asyncio.Task (a pure-Python _PyTask, a Task
// subclass not built on the C one) are registered in the _asyncio module's
// state: non_asyncio_tasks (a WeakSet) and non_asyncio_eager_tasks (a set).
void AsyncWalker::collect_module_state(RemoteAddr interp) {
  if (!l_.asyncio_state_non_asyncio_tasks.present()) return;
  auto module = find_module(ro_, interp, "_asyncio");
  if (!module) return;
  auto state = ro_.pointer_field(*module, l_.module_state);
  if (!state || state->is_null()) {
    out_.errors.push_back("_asyncio module state unreadable");
    return;
  }
  if (auto weakset = ro_.pointer_field(*state, l_.asyncio_state_non_asyncio_tasks);
      weakset && !weakset->is_null()) {
    auto data = attr(*weakset, "data");
    if (data && has_type(ro_, *data, "set"))
      visit_registry_set(*data, true, "_asyncio non_asyncio_tasks");
  }
  if (auto eager = ro_.pointer_field(*state, l_.asyncio_state_non_asyncio_eager_tasks);
      eager && !eager->is_null() && has_type(ro_, *eager, "set"))
    visit_registry_set(*eager, false, "_asyncio non_asyncio_eager_tasks");
}

void AsyncWalker::add_task(RemoteAddr task) {
  if (index_.contains(task)) return;  // eager and scheduled at once, mid-transition
  index_.emplace(task, out_.tasks.size());
  AsyncTask t;
  t.address = task;
  t.interpreter = interpreter_;
  out_.tasks.push_back(std::move(t));
}

bool AsyncWalker::has_base(RemoteAddr obj, std::string_view name) {
  auto type = ro_.pointer_field(obj, l_.object_type);
  for (size_t i = 0; type && !type->is_null() && i < kMaxTypeDepth; ++i) {
    auto n = ro_.type_name(*type);
    if (n && *n == name) return true;
    type = ro_.pointer_field(*type, l_.type_base);
  }
  return false;
}

std::optional<RemoteAddr> AsyncWalker::attr(RemoteAddr obj, std::string_view name) {
  return instance_attr_str(ro_, obj, name);
}

std::vector<RemoteAddr> AsyncWalker::sequence(RemoteAddr obj) {
  std::vector<RemoteAddr> items;
  auto type = ro_.type_name_of(obj);
  if (!type || (*type != "list" && *type != "tuple")) return items;
  auto size = ro_.field(obj, l_.varobject_size);
  if (!size) return items;
  auto n = std::min<uint64_t>(*size, kMaxSequenceItems);
  RemoteAddr base = obj;
  uint64_t off = static_cast<uint64_t>(l_.tuple_item.offset);
  if (*type == "list") {
    auto array = ro_.pointer_field(obj, l_.list_item);
    if (!array || array->is_null()) return items;
    base = *array;
    off = 0;
  }
  for (uint64_t i = 0; i < n; ++i) {
    auto item = ro_.word(base, off + 8 * i);
    if (!item) break;
    if (*item != 0) items.emplace_back(*item);
  }
  return items;
}

void AsyncWalker::read_task(AsyncTask& t) {
  auto type = ro_.pointer_field(t.address, l_.object_type);
  if (!type) {
    t.errors.push_back("task unreadable");
    return;
  }
  auto known = c_types_.find(*type);
  t.c_task = known != c_types_.end() ? known->second : has_base(t.address, "_asyncio.Task");
  c_types_[*type] = t.c_task;

  std::optional<RemoteAddr> coro, name, loop, waiter;
  if (t.c_task) {
    coro = ro_.pointer_field(t.address, l_.task_coro);
    name = ro_.pointer_field(t.address, l_.task_name);
    loop = ro_.pointer_field(t.address, l_.future_loop);
    waiter = ro_.pointer_field(t.address, l_.task_fut_waiter);
    if (auto s = ro_.field(t.address, l_.future_state)) {
      t.state = *s == kStatePending     ? TaskState::kPending
                : *s == kStateCancelled ? TaskState::kCancelled
                : *s == kStateFinished  ? TaskState::kFinished
                                        : TaskState::kUnknown;
    }
  } else {
    coro = attr(t.address, "_coro");
    name = attr(t.address, "_name");
    loop = attr(t.address, "_loop");
    waiter = attr(t.address, "_fut_waiter");
    // Future._state is a class attribute (PENDING) until the state changes.
    t.state = TaskState::kPending;
    if (auto s = attr(t.address, "_state")) {
      auto text = ro_.str_utf8(*s, 16);
      t.state = TaskState::kUnknown;
      if (text) {
        t.state = *text == "PENDING"     ? TaskState::kPending
                  : *text == "CANCELLED" ? TaskState::kCancelled
                  : *text == "FINISHED"  ? TaskState::kFinished
                                         : TaskState::kUnknown;
      }
    }
  }
  if (!coro) t.errors.push_back("coroutine unreadable");
  coro_[t.address] = coro.value_or(RemoteAddr());
  t.coroutine = coro_[t.address];
  if (loop && !is_none(*loop)) t.loop = *loop;
  if (name && !name->is_null()) {
    if (auto text = ro_.str_utf8(*name, kMaxNameCodePoints)) {
      t.name = std::move(*text);
    } else if (auto n = uint64_of(ro_, *name)) {
      t.name = "Task-" + std::to_string(*n);  // 3.13 keeps the counter until asked
    }
  }
  if (t.name.empty()) t.name = "<unnamed>";
  if (waiter && !waiter->is_null() && !is_none(*waiter)) {
    t.awaiting = *waiter;
    waiters_.emplace(*waiter, index_[t.address]);
  }
}

void AsyncWalker::read_stack(RemoteAddr coro, AsyncTask& t) {
  RemoteAddr obj = coro;
  RemoteAddr innermost;
  std::unordered_set<RemoteAddr> seen;
  for (size_t depth = 0; !obj.is_null(); ++depth) {
    if (depth >= opt_.max_stack || !seen.insert(obj).second) {
      t.errors.push_back("coroutine chain longer than " + std::to_string(opt_.max_stack) +
                         " or cyclic");
      break;
    }
    auto type = ro_.type_name_of(obj);
    if (!type) {
      t.errors.push_back("awaited object unreadable");
      break;
    }
    if (is_generator_type(*type)) {
      auto g = read_generator_frame(ro_, obj, rt_.minor);
      if (!g) {
        t.errors.push_back("coroutine unreadable");
        break;
      }
      if (g->status == GeneratorStatus::kFinished || g->frame.is_null()) break;
      auto f = l_.gen_frame.present() ? frames_.frame_object(g->frame)
                                      : frames_.interpreter_frame(g->frame);
      if (!f) {
        t.errors.push_back(f.error().message);
        break;
      }
      t.stack.push_back(std::move(*f));
      if (!g->awaiting) break;
      obj = *g->awaiting;
      continue;
    }
    if (ends_with(*type, "FutureIter")) {  // `await fut` on a C future
      auto fut = ro_.pointer_field(obj, l_.futureiter_future);
      innermost = fut.value_or(RemoteAddr());
    } else {
      innermost = obj;
    }
    break;
  }
  std::reverse(t.stack.begin(), t.stack.end());  // innermost first
  if (t.awaiting.is_null() && !innermost.is_null() && !is_none(innermost)) t.awaiting = innermost;
  if (!t.awaiting.is_null()) {
    t.awaiting_type = ro_.type_name_of(t.awaiting).value_or("?");
    if (auto it = index_.find(t.awaiting); it != index_.end()) t.awaiting_task = it->second;
    if (!t.awaiting_task) t.awaiting_owner = owner_of(t);
  }
}

// Who made the future a task waits on. asyncio's own waits show as the
// innermost coroutine frame (sleep, Queue.get, Lock.acquire, Event.wait,
// StreamReader._wait_for_data for a stream read); a future wrapping a
// concurrent.futures one (run_in_executor, wrap_future) is recognised by the
// done callback _chain_future puts on it.
std::string AsyncWalker::owner_of(const AsyncTask& t) {
  bool c_future = ends_with(t.awaiting_type, "_asyncio.Future");
  for (RemoteAddr cb : callbacks_of(t.awaiting, c_future)) {
    if (has_type(ro_, cb, "function") && function_name(cb) == "_call_check_cancel")
      return "run_in_executor";
  }
  if (t.stack.empty()) return "";
  // By code name and module file: <= 3.10 code objects have no qualname.
  const PyFrame& f = t.stack.front();
  auto slash = f.filename.rfind('/');
  std::string file = slash == std::string::npos ? f.filename : f.filename.substr(slash + 1);
  auto qualified = [&](const char* cls) {
    return f.function.find('.') != std::string::npos ? f.function : std::string(cls) + f.name;
  };
  if (file == "streams.py" && f.name == "_wait_for_data") return "stream read";
  if (file == "tasks.py" && f.name == "sleep") return "sleep";
  if (file == "queues.py" && (f.name == "get" || f.name == "put")) return qualified("Queue.");
  if (file == "locks.py" && (f.name == "acquire" || f.name == "wait"))
    return qualified("asyncio.locks:");
  return "";
}

// Loops of the tasks, the thread each runs on, and the task it runs now.
void AsyncWalker::read_loops(const std::vector<RemoteAddr>& registries) {
  std::unordered_map<RemoteAddr, size_t> loops;
  for (AsyncTask& t : out_.tasks) {
    if (t.loop.is_null()) continue;
    auto [it, fresh] = loops.emplace(t.loop, out_.loops.size());
    if (fresh) {
      AsyncLoop loop;
      loop.address = t.loop;
      loop.type = ro_.type_name_of(t.loop).value_or("?");
      if (auto id = attr(t.loop, "_thread_id")) loop.thread_id = uint64_of(ro_, *id).value_or(0);
      out_.loops.push_back(std::move(loop));
    }
    t.thread_id = out_.loops[it->second].thread_id;
  }
  loops_ = std::move(loops);
  // 3.14+: the C task functions keep the running loop and task per thread.
  if (l_.tstate_asyncio_running_task.present()) return running_from_thread_states();
  for (RemoteAddr globals : registries) {
    auto current = dict_get_str(ro_, globals, "_current_tasks");
    if (!current || !has_type(ro_, *current, "dict")) continue;
    for_each_dict_item(ro_, *current, 4096, [&](RemoteAddr loop, RemoteAddr task) {
      auto l = loops_.find(loop);
      auto t = index_.find(task);
      if (l != loops_.end() && t != index_.end()) mark_running(l->second, t->second);
      return true;
    });
  }
}

void AsyncWalker::running_from_thread_states() {
  for (const PyThread& th : threads_.threads) {
    for (const ThreadStateRef& ts : thread_states(th)) {
      auto loop = ro_.pointer_field(ts.tstate, l_.tstate_asyncio_running_loop);
      auto task = ro_.pointer_field(ts.tstate, l_.tstate_asyncio_running_task);
      if (!loop || !task || task->is_null()) continue;
      auto l = loops_.find(*loop);
      auto t = index_.find(*task);
      if (l != loops_.end() && t != index_.end()) mark_running(l->second, t->second);
    }
  }
}

void AsyncWalker::mark_running(size_t loop, size_t task) {
  out_.loops[loop].current_task = task;
  AsyncTask& running = out_.tasks[task];
  running.running = true;
  // Its frames are live on the loop's thread: take them from the thread
  // walk, innermost first, down to the task's own coroutine frame.
  RemoteAddr coro = coro_[running.address];
  auto g = read_generator_frame(ro_, coro, rt_.minor);
  for (const PyThread& th : threads_.threads) {
    if (th.thread_id != running.thread_id || !g) continue;
    for (const PyFrame& f : th.frames) {
      running.stack.push_back(f);
      running.stack.back().locals.clear();
      if (f.frame == g->frame) return;
    }
    running.stack.clear();  // the coroutine's frame is not on that thread
  }
  read_stack(coro, running);
}

// 3.14+: each future records who awaits it (fut_awaited_by: one object, or a
// set when fut_awaited_by_is_set), which CPython's own `asyncio ps` uses. An
// awaiter that is a plain future (gather's _GatheringFuture) stands for the
// task waiting on it. Added after the reconstructed edges, which name how.
void AsyncWalker::awaited_by_edges() {
  if (!l_.future_awaited_by.present() || !l_.future_awaited_by_is_set.present()) return;
  auto parent_of = [&](RemoteAddr awaiter) -> std::optional<size_t> {
    if (auto it = index_.find(awaiter); it != index_.end()) return it->second;
    if (auto w = waiters_.find(awaiter); w != waiters_.end()) return w->second;
    return std::nullopt;
  };
  for (size_t i = 0; i < out_.tasks.size(); ++i) {
    if (!out_.tasks[i].c_task) continue;
    RemoteAddr task = out_.tasks[i].address;
    auto by = ro_.pointer_field(task, l_.future_awaited_by);
    auto is_set = ro_.field(task, l_.future_awaited_by_is_set);
    if (!by || by->is_null() || !is_set) continue;
    std::vector<RemoteAddr> awaiters;
    if (*is_set != 0) {
      for_each_set_key(ro_, *by, kMaxSequenceItems, [&](RemoteAddr key) {
        awaiters.push_back(key);
        return true;
      });
    } else {
      awaiters.push_back(*by);
    }
    for (RemoteAddr a : awaiters) {
      auto parent = parent_of(a);
      if (parent && *parent != i) edge(i, *parent, "await");
    }
  }
}

std::string AsyncWalker::function_name(RemoteAddr function) {
  auto code = ro_.pointer_field(function, l_.function_code);
  if (!code) return {};
  auto info = codes_.get(*code, false);
  return info ? (*info)->name : std::string();
}

std::vector<RemoteAddr> AsyncWalker::callbacks(const AsyncTask& t) {
  return callbacks_of(t.address, t.c_task);
}

// A future's done callbacks: C futures keep the first apart (fut_callback0),
// the rest as (callback, context) tuples; Python ones a _callbacks list.
std::vector<RemoteAddr> AsyncWalker::callbacks_of(RemoteAddr future, bool c_future) {
  std::vector<RemoteAddr> out;
  std::vector<RemoteAddr> entries;  // (callback, context) tuples
  if (c_future) {
    auto first = ro_.pointer_field(future, l_.future_callback0);
    if (first && !first->is_null() && !is_none(*first)) out.push_back(*first);
    auto rest = ro_.pointer_field(future, l_.future_callbacks);
    if (rest && !rest->is_null()) entries = sequence(*rest);
  } else if (auto list = attr(future, "_callbacks")) {
    entries = sequence(*list);
  }
  for (RemoteAddr e : entries) {
    auto pair = sequence(e);
    if (!pair.empty()) out.push_back(pair[0]);
    if (out.size() >= opt_.max_callbacks) break;
  }
  return out;
}

void AsyncWalker::edge(size_t child, size_t parent, std::string via) {
  for (const AsyncEdge& e : out_.edges)
    if (e.child == child && e.parent == parent) return;
  out_.edges.push_back({child, parent, std::move(via)});
}

// A done callback of `child` that leads to a task waiting on something.
void AsyncWalker::callback_edges(size_t child, RemoteAddr callback) {
  auto type = ro_.type_name_of(callback);
  if (!type) return;
  std::vector<RemoteAddr> held;
  std::string via;
  if (*type == "method") {
    auto self = ro_.pointer_field(callback, l_.method_self);
    auto func = ro_.pointer_field(callback, l_.method_func);
    if (!self || !func) return;
    via = via_for(function_name(*func));
    if (via == "taskgroup" && has_base(*self, "TaskGroup")) {
      auto parent = attr(*self, "_parent_task");
      if (parent && index_.contains(*parent)) edge(child, index_[*parent], via);
      return;
    }
    held.push_back(*self);
  } else if (*type == "function") {
    via = via_for(function_name(callback));
    auto closure = ro_.pointer_field(callback, l_.function_closure);
    if (!closure || closure->is_null()) return;
    for (RemoteAddr cell : sequence(*closure)) {
      auto ref = ro_.pointer_field(cell, l_.cell_ref);
      if (ref && !ref->is_null()) held.push_back(*ref);
    }
  } else if (*type == "functools.partial") {
    auto fn = ro_.pointer_field(callback, l_.partial_fn);
    auto args = ro_.pointer_field(callback, l_.partial_args);
    if (!fn || !args) return;
    via = has_type(ro_, *fn, "function") ? via_for(function_name(*fn)) : "callback";
    held = sequence(*args);
  }
  for (RemoteAddr obj : held) {
    auto w = waiters_.find(obj);
    if (w != waiters_.end() && w->second != child) edge(child, w->second, via);
    queue_edges(child, obj);
  }
}

// as_completed: the child's done callback puts it on a Queue (a closure
// cell `done` <= 3.12, `_AsCompletedIterator._done` 3.13) from which the
// awaiting task is getting: its getter futures are in the queue's _getters.
void AsyncWalker::queue_edges(size_t child, RemoteAddr obj) {
  RemoteAddr queue = obj;
  if (!has_base(queue, "Queue")) {
    auto done = attr(obj, "_done");
    if (!done || !has_base(*done, "Queue")) return;
    queue = *done;
  }
  auto getters = attr(queue, "_getters");
  if (!getters || !has_type(ro_, *getters, "collections.deque")) return;
  for (RemoteAddr getter : deque_items(ro_, *getters, kMaxSequenceItems)) {
    auto w = waiters_.find(getter);
    if (w != waiters_.end() && w->second != child) edge(child, w->second, "as_completed");
  }
}

void AsyncWalker::link_tasks() {
  for (size_t i = 0; i < out_.tasks.size(); ++i) {
    AsyncTask& t = out_.tasks[i];
    if (t.awaiting_task) edge(*t.awaiting_task, i, "await");
    if (!t.awaiting.is_null() && t.awaiting_type == "_GatheringFuture") {
      if (auto children = attr(t.awaiting, "_children")) {
        for (RemoteAddr c : sequence(*children))
          if (auto it = index_.find(c); it != index_.end()) edge(it->second, i, "gather");
      }
    }
  }
  for (size_t i = 0; i < out_.tasks.size(); ++i) {
    if (out_.tasks[i].state != TaskState::kPending) continue;
    for (RemoteAddr cb : callbacks(out_.tasks[i])) callback_edges(i, cb);
  }
}

// Three-colour DFS over parent -> child ("awaits") edges; each cycle once.
void AsyncWalker::find_cycles() {
  const size_t n = out_.tasks.size();
  std::vector<std::vector<size_t>> awaits(n);
  for (const AsyncEdge& e : out_.edges) awaits[e.parent].push_back(e.child);
  std::vector<int> colour(n, 0);  // 0 white, 1 on the path, 2 done
  std::vector<size_t> path;
  std::unordered_set<std::string> reported;
  std::function<void(size_t)> dfs = [&](size_t v) {
    colour[v] = 1;
    path.push_back(v);
    for (size_t w : awaits[v]) {
      if (colour[w] == 1) {
        auto from = std::find(path.begin(), path.end(), w);
        std::vector<size_t> cycle(from, path.end());
        auto lowest = std::min_element(cycle.begin(), cycle.end());
        std::rotate(cycle.begin(), lowest, cycle.end());
        std::string key;
        for (size_t c : cycle) key += std::to_string(c) + ",";
        if (reported.insert(key).second) out_.cycles.push_back(std::move(cycle));
      } else if (colour[w] == 0 && path.size() < 10000) {
        dfs(w);
      }
    }
    path.pop_back();
    colour[v] = 2;
  };
  for (size_t v = 0; v < n; ++v)
    if (colour[v] == 0) dfs(v);
}

}  // namespace

const char* task_state_name(TaskState s) {
  switch (s) {
    case TaskState::kPending:
      return "pending";
    case TaskState::kCancelled:
      return "cancelled";
    case TaskState::kFinished:
      return "done";
    case TaskState::kUnknown:
      break;
  }
  return "unknown";
}

bool AsyncioState::complete() const {
  if (!errors.empty()) return false;
  for (const AsyncTask& t : tasks)
    if (!t.errors.empty()) return false;
  return true;
}

AsyncioState walk_asyncio(const MemoryReader& mem, const PythonRuntime& runtime,
                          const PyProcess& threads, const AsyncWalkOptions& options) {
  if (!runtime.layout || runtime.interp_head.is_null()) {
    AsyncioState s;
    s.errors.push_back("no layout for this Python");
    return s;
  }
  if (runtime.asyncio_debug) {
    // The target's own asyncio offsets (3.14+) over the table.
    auto applied = apply_asyncio_debug(mem, *runtime.asyncio_debug, *runtime.layout);
    if (applied) {
      PythonRuntime own = runtime;
      own.layout = &*applied;
      return AsyncWalker(mem, own, threads, options).run();
    }
    AsyncioState s = AsyncWalker(mem, runtime, threads, options).run();
    s.errors.push_back(applied.error().message + " (read with the table's offsets)");
    return s;
  }
  if (!runtime.layout->task_coro.present()) {
    AsyncioState s;
    s.errors.push_back(runtime.major == 2 ? "asyncio does not exist in Python 2"
                                          : "asyncio tasks are read on CPython 3.8 and newer only");
    return s;
  }
  return AsyncWalker(mem, runtime, threads, options).run();
}

}  // namespace corostack::asyncio
