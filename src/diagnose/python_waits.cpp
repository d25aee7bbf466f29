#include "diagnose/python_waits.hpp"

#include <algorithm>
#include <filesystem>
#include <string_view>
#include <unordered_map>

#include "diagnose/native_lock_waits.hpp"
#include "diagnose/thread_label.hpp"
#include "python/code_cache.hpp"
#include "python/dict_reader.hpp"
#include "python/instance_dict.hpp"
#include "python/lock_objects.hpp"
#include "python/module_globals.hpp"

namespace corostack::diagnose {
namespace {

using python::FieldLoc;
using python::RemoteObjects;

constexpr int64_t kWaitFutexNr = 202;
constexpr uint64_t kTagMask = ~uint64_t{7};
constexpr size_t kMaxModules = 2048;
constexpr size_t kMaxGlobals = 1024;
constexpr size_t kMaxAttrs = 64;
constexpr size_t kMaxLocals = 64;
constexpr size_t kMaxNameLength = 200;

std::string basename_of(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

bool is_threading_frame(const Frame& f) {
  if (f.kind != FrameKind::kPython) return false;
  std::string base = basename_of(f.file);
  return base == "threading.py" || base == "queue.py";
}

std::string_view short_name(std::string_view qualname) {
  size_t dot = qualname.rfind('.');
  return dot == std::string_view::npos ? qualname : qualname.substr(dot + 1);
}

// Native frames of CPython's lock acquisition, for a wait whose object was
// not found (names only exist with symbols).
bool acquires_python_lock(const ThreadSnapshot& t) {
  for (const Frame& f : t.frames) {
    if (f.kind == FrameKind::kPython) return false;
    if (!f.function) continue;
    std::string_view n = *f.function;
    if (n == "lock_PyThread_acquire_lock" || n == "rlock_acquire" || n == "acquire_timed" ||
        n == "PyThread_acquire_lock_timed" || n == "_PyMutex_LockTimed" ||
        n == "_PyRecursiveMutex_LockTimed")
      return true;
  }
  return false;
}

bool is_identifier_like(const std::string& s) {
  if (s.empty() || s.size() > kMaxNameLength) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
  });
}

// Names for lock objects, looked up once per address.
class LockNamer {
 public:
  LockNamer(const RemoteObjects& ro, const python::PythonRuntime& rt) : ro_(ro), rt_(rt) {}

  std::string name(uint64_t lock, const ThreadSnapshot& t, size_t user_frame) {
    if (lock == 0) return {};
    if (user_frame < t.frames.size()) {
      std::string n = local_name(lock, t.frames[user_frame]);
      if (!n.empty()) return n;
    }
    std::string file = user_frame < t.frames.size() ? t.frames[user_frame].file : "";
    for (const auto& [globals, _] : module_dicts(file)) {
      std::string n = dict_name(lock, globals, /*attrs=*/true);
      if (!n.empty()) return n;
    }
    return {};
  }

 private:
  std::optional<std::string> str(RemoteAddr s) {
    if (!python::has_type(ro_, s, "str")) return std::nullopt;
    auto v = ro_.str_utf8(s, kMaxNameLength);
    if (!v) return std::nullopt;
    return *v;
  }

  // "attr" when `obj` keeps `lock` as an instance attribute.
  std::string attr_name(uint64_t lock, RemoteAddr obj) {
    auto type = ro_.type_name_of(obj);
    if (!type || *type == "module" || *type == "type" || *type == "function" || *type == "dict" ||
        *type == "str" || *type == "int" || *type == "tuple" || *type == "list")
      return {};
    auto d = python::find_instance_dict(ro_, obj);
    if (!d) return {};
    std::string found;
    auto visit = [&](RemoteAddr key, RemoteAddr value) {
      if (value.value() != lock) return true;
      if (auto k = str(key); k && is_identifier_like(*k)) found = *k;
      return found.empty();
    };
    if (!d->dict.is_null()) {
      python::for_each_dict_item(ro_, d->dict, kMaxAttrs, visit);
    } else if (auto table = python::DictTable::open(ro_, d->keys, d->values)) {
      table->for_each(kMaxAttrs, visit);
    }
    return found;
  }

  std::string dict_name(uint64_t lock, RemoteAddr dict, bool attrs) {
    std::string found;
    python::for_each_dict_item(ro_, dict, kMaxGlobals, [&](RemoteAddr key, RemoteAddr value) {
      auto k = str(key);
      if (!k || !is_identifier_like(*k) || k->rfind("__", 0) == 0) return true;
      if (value.value() == lock) {
        found = *k;
        return false;
      }
      if (attrs) {
        std::string a = attr_name(lock, value);
        if (!a.empty()) found = *k + "." + a;
      }
      return found.empty();
    });
    return found;
  }

  std::string local_name(uint64_t lock, const Frame& f) {
    const python::PythonLayout& l = ro_.layout();
    FieldLoc code_f = l.iframe_code.present() ? l.iframe_code : l.frame_code;
    FieldLoc plus_f = l.iframe_localsplus.present() ? l.iframe_localsplus : l.frame_localsplus;
    if (!code_f.present() || !plus_f.present()) return {};
    auto code = ro_.field(RemoteAddr(f.pc), code_f);
    if (!code) return {};
    auto info = codes_.get(RemoteAddr(*code & kTagMask), /*with_local_names=*/true);
    if (!info) return {};
    const auto& names = (*info)->local_names;
    for (size_t i = 0; i < names.size() && i < kMaxLocals; ++i) {
      auto v = ro_.word(RemoteAddr(f.pc), static_cast<uint64_t>(plus_f.offset) + 8 * i);
      if (!v) break;
      uint64_t obj = *v & kTagMask;
      if (obj == 0) continue;
      if (obj == lock) return names[i];
      std::string a = attr_name(lock, RemoteAddr(obj));
      if (!a.empty()) return names[i] + "." + a;
    }
    return {};
  }

  // Globals of __main__ and of the modules loaded from `file`.
  const std::vector<std::pair<RemoteAddr, std::string>>& module_dicts(const std::string& file) {
    auto it = modules_by_file_.find(file);
    if (it != modules_by_file_.end()) return it->second;
    std::vector<std::pair<RemoteAddr, std::string>> out;
    const python::PythonLayout& l = ro_.layout();
    auto modules = ro_.pointer_field(rt_.interp_head, l.interp_modules);
    if (modules && !modules->is_null()) {
      python::for_each_dict_item(ro_, *modules, kMaxModules, [&](RemoteAddr key, RemoteAddr mod) {
        auto name = str(key);
        if (!name || !python::has_type(ro_, mod, "module")) return true;
        auto globals = ro_.pointer_field(mod, l.module_dict);
        if (!globals || globals->is_null()) return true;
        bool wanted = *name == "__main__";
        if (!wanted && !file.empty()) {
          if (auto f = python::dict_get_str(ro_, *globals, "__file__")) wanted = str(*f) == file;
        }
        if (wanted) out.emplace_back(*globals, *name);
        return out.size() < 4;
      });
    }
    return modules_by_file_[file] = std::move(out);
  }

  const RemoteObjects& ro_;
  const python::PythonRuntime& rt_;
  python::CodeCache codes_{ro_};
  std::unordered_map<std::string, std::vector<std::pair<RemoteAddr, std::string>>> modules_by_file_;
};

// The `self` of a threading.py method frame (its first local), e.g. the
// Semaphore of Semaphore.acquire.
uint64_t self_of(const RemoteObjects& ro, const Frame& f) {
  const python::PythonLayout& l = ro.layout();
  FieldLoc plus_f = l.iframe_localsplus.present() ? l.iframe_localsplus : l.frame_localsplus;
  if (!plus_f.present()) return 0;
  auto v = ro.word(RemoteAddr(f.pc), static_cast<uint64_t>(plus_f.offset));
  return v ? (*v & kTagMask) : 0;
}

// The last Python frame before `user`: the outermost threading.py one.
size_t outermost_threading_frame(const ThreadSnapshot& t, size_t user) {
  size_t k = std::min(user, t.frames.size());
  while (k > 0 && t.frames[k - 1].kind != FrameKind::kPython) --k;
  return k > 0 ? k - 1 : 0;
}

}  // namespace

std::string threading_wait_of(const ThreadSnapshot& t, size_t* user_frame) {
  // Python frames only: with native frames merged, C calls sit between
  // Python frames on <=3.10 (every Python call goes through C).
  std::vector<size_t> chain;
  size_t i = 0;
  for (; i < t.frames.size(); ++i) {
    if (t.frames[i].kind != FrameKind::kPython) continue;
    if (!is_threading_frame(t.frames[i])) break;
    chain.push_back(i);
  }
  if (user_frame) *user_frame = i;
  if (chain.empty()) return {};
  // The outermost threading/queue frame says what the program called.
  const Frame& outer = t.frames[chain.back()];
  std::string qual = outer.function.value_or("");
  std::string_view name = short_name(qual);
  if (basename_of(outer.file) == "queue.py") {
    if (name == "get" || name == "put") return std::string("Queue.") + std::string(name);
    return "Queue." + std::string(name);
  }
  if (name == "join" || name == "_wait_for_tstate_lock") return "Thread.join";
  if (name == "acquire" || (name == "__enter__" && chain.size() > 1)) return "Semaphore.acquire";
  if (name == "__enter__") return {};  // Condition.__enter__: its lock's own acquire
  if (qual.find('.') != std::string::npos) return qual;  // 3.11+: "Event.wait"
  // <=3.10: names only.
  size_t waits = 0;
  for (size_t k : chain) waits += t.frames[k].function.value_or("") == "wait";
  if (name == "wait") return waits > 1 ? "Event.wait" : "Condition.wait";
  if (name == "wait_for") return "Condition.wait_for";
  return "threading." + std::string(name);
}

namespace {
bool idle_wait(const std::string& w) {
  return w == "Queue.get" || w == "Queue.put" || w == "Event.wait" || w == "Condition.wait" ||
         w == "Condition.wait_for" || w == "Barrier.wait" || w == "Thread.join";
}
}  // namespace

std::vector<PyLockWaitFact> find_python_lock_waits(const ProcessSnapshot& snap,
                                                   const python::PythonRuntime& runtime,
                                                   const MemoryReader& memory) {
  std::vector<PyLockWaitFact> out;
  if (!runtime.layout) return out;
  RemoteObjects ro(memory, *runtime.layout);
  auto gils = python::read_gil_states(ro, runtime.runtime, runtime.interp_head);
  LockNamer namer(ro, runtime);
  std::unordered_map<uint64_t, std::string> names;
  for (const ThreadSnapshot& t : snap.threads) {
    if (!t.python || !t.syscall || t.syscall->nr != kWaitFutexNr || t.syscall->args.empty())
      continue;
    uint64_t futex = t.syscall->args[0];
    if (std::any_of(gils.begin(), gils.end(),
                    [&](const python::GilState& g) { return g.is_wait_address(futex); }))
      continue;
    std::vector<uint64_t> pyframes;
    for (const Frame& f : t.frames)
      if (f.kind == FrameKind::kPython) pyframes.push_back(f.pc);
    if (pyframes.empty()) continue;
    size_t user = t.frames.size();
    std::string wait = threading_wait_of(t, &user);
    // An idle wait is reported by what the program called; its lock (a
    // Condition's private waiter lock) is not looked for: a pool of 1000
    // idle workers costs no search.
    std::optional<python::PyLockObject> lock;
    if (!idle_wait(wait)) lock = python::find_waited_lock(ro, futex, pyframes, 0);
    if (!lock && wait.empty() && !acquires_python_lock(t)) continue;

    PyLockWaitFact w;
    w.tid = t.tid;
    if (user < t.frames.size()) w.waiter_frame = frame_text(t.frames[user]);
    if (idle_wait(wait)) w.idle_in = wait;
    if (lock) {
      w.lock_kind = lock->type == python::PyLockType::kRLock ? "threading.RLock" : "threading.Lock";
      w.lock_address = lock->object.value();
      w.holder_ident = lock->owner_ident;
      w.count = lock->count;
      if (lock->owner_ident != 0) {
        if (const ThreadSnapshot* h = snap.python_thread(lock->owner_ident)) w.holder = h->tid;
      }
    } else {
      w.lock_kind = w.idle_in.empty() ? "threading lock" : "threading.Condition";
    }
    if (wait == "Semaphore.acquire") {
      w.lock_kind = "threading.Semaphore";
      w.lock_address = self_of(ro, t.frames[outermost_threading_frame(t, user)]);
      w.holder = 0;
      w.holder_ident = 0;
    }
    if (w.idle_in.empty() && w.lock_address != 0) {
      auto it = names.find(w.lock_address);
      if (it == names.end())
        it = names.emplace(w.lock_address, namer.name(w.lock_address, t, user)).first;
      w.lock_name = it->second;
    }
    out.push_back(std::move(w));
  }
  return out;
}

GilFacts read_gil_facts(const ProcessSnapshot& snap, const python::PythonRuntime& runtime,
                        const MemoryReader& memory) {
  GilFacts g;
  if (!runtime.layout) return g;
  RemoteObjects ro(memory, *runtime.layout);
  auto gils = python::read_gil_states(ro, runtime.runtime, runtime.interp_head);
  bool free_threaded = runtime.free_threaded || (snap.python && snap.python->free_threaded);
  if (free_threaded) {
    bool enabled = std::any_of(gils.begin(), gils.end(),
                               [](const python::GilState& s) { return s.enabled.value_or(false); });
    if (!enabled) {
      g.known = true;
      g.free_threaded = true;
      return g;
    }
  }
  if (gils.empty()) return g;
  g.known = true;
  g.address = gils.front().address.value();
  g.switch_number = gils.front().switch_number;
  for (const ThreadSnapshot& t : snap.threads)
    if (t.python && t.python->holds_gil && g.holder == 0) g.holder = t.tid;
  for (const ThreadSnapshot& t : snap.threads) {
    if (t.tid == g.holder) continue;
    bool waits = false;
    if (t.syscall && t.syscall->nr == kWaitFutexNr && !t.syscall->args.empty()) {
      uint64_t futex = t.syscall->args[0];
      waits = std::any_of(gils.begin(), gils.end(),
                          [&](const python::GilState& s) { return s.is_wait_address(futex); });
    }
    for (size_t i = 0; i < t.frames.size() && !waits && i < 16; ++i)
      waits = t.frames[i].kind == FrameKind::kNative && t.frames[i].function == "take_gil";
    if (waits) g.waiters.push_back(t.tid);
  }
  return g;
}

}  // namespace corostack::diagnose
