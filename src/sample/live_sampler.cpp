// The Sampler of a live process: LiveProcess + walk_python (+ walk_asyncio,
// + libdwfl with --native) once per round, caches kept across rounds.
#include <fmt/format.h>
#include <cstdio>

#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "asyncio/asyncio_walker.hpp"
#include "base/hex.hpp"
#include "native/dwfl_session.hpp"
#include "native/symbolizer.hpp"
#include "native/syscalls.hpp"
#include "native/unwinder.hpp"
#include "python/code_cache.hpp"
#include "python/pthread_tids.hpp"
#include "python/python_locator.hpp"
#include "python/python_walker.hpp"
#include "python/remote_object.hpp"
#include "sample/sampler.hpp"
#include "snapshot/native_snapshot.hpp"
#include "snapshot/python_snapshot.hpp"
#include "target/captured_memory.hpp"
#include "target/live_process.hpp"
#include "target/proc_fs.hpp"
#include "target/proc_syscall.hpp"

namespace corostack::sample {
namespace {

// Thread names (threading._active) are re-read this often, in rounds, and
// whenever a thread ident without a name appears.
constexpr uint64_t kNameRefreshRounds = 256;
// The code cache is keyed by address; a code object freed and another
// allocated at its address would keep the old name. Dropped this often.
constexpr uint64_t kCodeCacheRounds = 20000;
// Rounds in a row in which no Python thread could be read at all before the
// process is opened and its interpreter located again, and before it counts
// as gone.
constexpr uint64_t kRelocateRounds = 10;
constexpr uint64_t kMaxUnreadableRounds = 200;

std::string syscall_label(int64_t nr) {
  std::string n = syscall_name(nr);
  return n.empty() ? std::to_string(nr) : n;
}

// One OS thread as this round sees it.
struct OsThread {
  pid_t tid = 0;
  std::string comm;
  char state = '?';
  int64_t syscall = -1;  // blocked in this call (left running), -1: not known blocked
  const ThreadState* captured = nullptr;  // blocking mode: its registers
};

class LiveSampler final : public Sampler {
 public:
  LiveSampler(std::unique_ptr<LiveProcess> proc, const SamplerOptions& options)
      : pid_(proc->pid()), proc_(std::move(proc)), opt_(options) {}

  // A fresh LiveProcess (maps change on exec) and interpreter; caches dropped.
  Status reopen() {
    auto p = LiveProcess::open(pid_);
    if (!p) return p.error();
    symbolizer_.reset();
    session_.reset();
    codes_.reset();
    ro_.reset();
    runtime_.reset();
    tid_of_ident_.clear();
    tid_offset_.reset();
    names_.clear();
    proc_ = std::move(*p);
    return init();
  }

  Status init() {
    python::LocateOptions locate;
    locate.asyncio_offsets = opt_.task_roots;
    auto rt = python::locate_python(*proc_, locate);
    if (rt) {
      if (!rt->layout || rt->interp_head.is_null())
        return make_error(ErrorKind::kUnsupported,
                          fmt::format("Python {}.{} found, but it cannot be read (no layout)",
                                      rt->major, rt->minor));
      runtime_ = std::move(*rt);
      // _PyRuntime.interpreters.head (3.7+); 3.6: the runtime address is
      // the static interp_head itself.
      const auto& head = runtime_->layout->runtime_interpreters_head;
      interp_head_slot_ =
          head.present()
              ? RemoteAddr(runtime_->runtime.value() + static_cast<uint64_t>(head.offset))
              : runtime_->runtime;
      ro_.emplace(*proc_, *runtime_->layout);
      codes_.emplace(*ro_);
      if (opt_.gil_only && runtime_->free_threaded && !gil_note_said_) {
        // Said once, where the user reads record's and top's progress.
        std::fprintf(stderr,
                     "corostack: --gil does not apply to free-threaded Python %d.%d (no GIL): "
                     "every thread's samples are kept\n",
                     runtime_->major, runtime_->minor);
        gil_note_said_ = true;
      }
    } else if (!opt_.native || opt_.require_python) {
      return make_error(rt.error().kind,
                        rt.error().message + " (without Python, only --native can sample it)");
    }
    if (opt_.native) {
      if (opt_.nonblocking)
        return make_error(ErrorKind::kUsage,
                          "--native needs registers, which --nonblocking cannot read "
                          "without stopping threads");
      auto s = DwflSession::create(*proc_);
      if (!s) return s.error();
      session_ = std::move(*s);
      symbolizer_ = std::make_unique<Symbolizer>(*session_, true);
    }
    std::string cmd = proc_->command_line();
    if (cmd.empty()) cmd = proc_->command_name();
    process_name_ = fmt::format("process {} ({})", proc_->pid(), cmd.substr(0, 200));
    return ok_status();
  }

  pid_t pid() const override { return proc_->pid(); }

  Result<SampleRoundStats> sample(Profile& profile, uint64_t time_ns) override {
    if (&profile != profile_) {
      profile_ = &profile;
      thread_ids_.clear();
      process_frame_.reset();
    }
    ++round_;
    if (codes_ && round_ % kCodeCacheRounds == 0) codes_.emplace(*ro_);
    SampleRoundStats stats;
    py_ = {};
    asyncio_.reset();
    python::PyWalkOptions wo;
    wo.code_cache = codes_ ? &*codes_ : nullptr;
    wo.thread_names = names_stale_ || round_ % kNameRefreshRounds == 1;
    wo.max_frames = 1024;
    auto walk = [&](const MemoryReader& mem) {
      if (!runtime_) return;
      // The first interpreter, read again each round: one located while the
      // process was starting may since have been replaced.
      if (auto head = mem.read_value<uint64_t>(interp_head_slot_); head && *head != 0) {
        runtime_->interp_head = RemoteAddr(*head);
      } else {
        py_.errors.push_back("no interpreter (starting or shutting down)");
        return;
      }
      py_ = python::walk_python(mem, *runtime_, wo);
      if (opt_.task_roots) {
        asyncio::AsyncWalkOptions ao;
        ao.find_unawaited = false;
        ao.max_stack = 1;
        ao.max_tasks = 100000;
        asyncio_ = asyncio::walk_asyncio(mem, *runtime_, py_, ao);
      }
    };

    std::vector<OsThread> threads;
    std::optional<Capture> cap;
    if (opt_.nonblocking) {
      auto tids = list_tasks(proc_->pid());
      if (!tids || tids->empty()) return gone();
      for (pid_t tid : *tids) {
        auto st = read_proc_stat(proc_->pid(), tid);
        if (!st) continue;  // exited meanwhile
        OsThread t{tid, st->comm, st->state, -1, nullptr};
        if (t.state == 'S' || t.state == 'D') {
          if (auto sc = read_proc_syscall(proc_->pid(), tid); sc && sc->nr >= 0) t.syscall = sc->nr;
        }
        threads.push_back(std::move(t));
      }
      if (threads.empty()) return gone();
      if (threads.front().tid == proc_->pid() && threads.front().state == 'Z' &&
          threads.size() == 1)
        return gone();
      proc_->clear_cache();
      walk(*proc_);
      proc_->clear_cache();
    } else {
      CaptureOptions co;
      co.max_stack_bytes = opt_.native ? 512 * 1024 : 0;
      co.while_paused = walk;
      auto c = proc_->capture(co);
      if (!c) {
        if (c.error().kind == ErrorKind::kGone || !alive()) return gone();
        return c.error();
      }
      cap = std::move(*c);
      stats.pause_ns = cap->pause_ns;
      for (const ThreadState& ts : cap->threads) {
        OsThread t{ts.tid, ts.name, ts.state, -1, &ts};
        if (ts.regs_partial) t.syscall = static_cast<int64_t>(ts.regs.orig_rax);
        threads.push_back(std::move(t));
      }
    }
    stats.threads_seen = threads.size();
    if (runtime_ && nothing_readable()) {
      if (!alive()) return gone();
      ++stats.errors;
      // The interpreter we located does not read: located while the
      // process was starting (a wrong candidate), or the process exec'd (a
      // child caught between fork and exec). Open and locate it again.
      if (++unreadable_rounds_ % kRelocateRounds == 0) {
        if (auto st = reopen(); !st) {
          if (unreadable_rounds_ >= kMaxUnreadableRounds)
            return make_error(ErrorKind::kGone,
                              fmt::format("process {}: its interpreter can no longer be read ({})",
                                          pid_, st.error().message));
        }
      }
      return stats;
    }
    unreadable_rounds_ = 0;

    // Thread states of one OS thread in several interpreters: one entry.
    if (py_.interpreters.size() > 1) {
      std::vector<ThreadState> captured;
      for (const OsThread& t : threads)
        if (t.captured) captured.push_back(*t.captured);
      python::join_interpreter_threads(py_.threads, stack_owner(captured, proc_->maps()));
    }

    // Python thread states onto OS threads.
    std::unordered_map<pid_t, size_t> index_of;
    for (size_t i = 0; i < threads.size(); ++i) index_of[threads[i].tid] = i;
    std::vector<const python::PyThread*> py_of(threads.size(), nullptr);
    names_stale_ = false;
    for (const python::PyThread& pt : py_.threads) {
      if (!pt.name.empty())
        names_[pt.thread_id] = pt.name;
      else if (!wo.thread_names && !names_.contains(pt.thread_id) && !pt.frames.empty())
        names_stale_ = true;
      pid_t tid = os_tid(pt, threads, index_of);
      auto it = index_of.find(tid);
      if (tid > 0 && it != index_of.end()) py_of[it->second] = &pt;
    }

    // --native: unwind the captured threads that will be sampled.
    std::unordered_map<pid_t, UnwoundThread> unwound;
    std::optional<CapturedMemory> memory;
    if (session_ && cap) {
      Capture subset;
      for (size_t i = 0; i < threads.size(); ++i) {
        if (!threads[i].captured || !threads[i].captured->regs_valid) continue;
        if (threads[i].syscall >= 0 && !opt_.idle) continue;
        subset.threads.push_back(*threads[i].captured);
      }
      memory.emplace(*proc_, std::move(cap->regions));
      UnwindOptions uo;
      for (UnwoundThread& u : unwind_threads(*session_, proc_->pid(), subset, *memory, uo))
        unwound.emplace(u.tid, std::move(u));
    }

    // Asyncio: the task running on each thread's loop.
    std::unordered_map<uint64_t, std::string> running_task;  // thread ident -> task name
    if (asyncio_) {
      for (const asyncio::AsyncLoop& loop : asyncio_->loops) {
        if (!loop.thread_id || !loop.current_task || *loop.current_task >= asyncio_->tasks.size())
          continue;
        running_task[loop.thread_id] = asyncio_->tasks[*loop.current_task].name;
      }
    }

    std::vector<uint32_t> stack;
    size_t merged = 0, merge_failures = 0;
    for (size_t i = 0; i < threads.size(); ++i) {
      const OsThread& t = threads[i];
      const python::PyThread* pt = py_of[i];
      bool idle = t.syscall >= 0 || t.state == 'S' || t.state == 'D';
      if (idle && !opt_.idle) continue;
      bool holds_gil = pt && pt->holds_gil;
      if (opt_.gil_only && !holds_gil && !(runtime_ && runtime_->free_threaded)) continue;
      bool has_python = pt && !pt->frames.empty();
      const UnwoundThread* native = nullptr;
      if (auto it = unwound.find(t.tid); it != unwound.end()) native = &it->second;
      if (!has_python && !native) {
        if (pt && !pt->errors.empty()) ++stats.errors;
        continue;  // no Python frames and no native ones wanted
      }
      if (pt && !pt->errors.empty()) {
        // A stack that could not be read to its end: its root is unknown.
        ++stats.errors;
        continue;
      }
      stack.clear();
      if (opt_.process_roots) {
        if (!process_frame_)
          process_frame_ =
              profile.intern_frame({ProfileFrameKind::kProcess, process_name_, "", 0, ""});
        stack.push_back(*process_frame_);
      }
      std::string name = t.comm;
      if (pt) {
        if (auto n = names_.find(pt->thread_id); n != names_.end()) name = n->second;
      }
      if (opt_.thread_roots)
        stack.push_back(profile.intern_frame(
            {ProfileFrameKind::kThread, fmt::format("thread {} ({})", t.tid, name), "", 0, ""}));
      int32_t task = -1;
      if (pt && !running_task.empty() && !idle) {
        if (auto it = running_task.find(pt->thread_id); it != running_task.end()) {
          task = static_cast<int32_t>(profile.intern_task(it->second));
          if (opt_.task_roots)
            stack.push_back(profile.intern_frame({ProfileFrameKind::kTask, it->second, "", 0, ""}));
        }
      }
      if (native) {
        if (!add_native(profile, *native, pt, stack)) {
          ++stats.errors;
          ++merge_failures;
          continue;
        }
        ++merged;
      } else {
        int64_t interpreter = -2;
        for (auto f = pt->frames.rbegin(); f != pt->frames.rend(); ++f) {
          add_interpreter_frame(profile, f->interpreter, interpreter, stack);
          stack.push_back(profile.intern_frame(
              {ProfileFrameKind::kPython, f->function, f->filename, opt_.lines ? f->line : 0, ""}));
        }
      }
      // A collection runs: on a GIL build the thread holding the GIL runs it
      // (the collector never lets the GIL go), so its sample ends in <gc>,
      // as py-spy marks it. Free-threaded builds stop the world instead and
      // name no single collector without native frames: not marked.
      if (holds_gil && py_.gc_collecting.value_or(false) && !(runtime_ && runtime_->free_threaded))
        stack.push_back(profile.intern_frame({ProfileFrameKind::kGc, "<gc>", "", 0, ""}));
      if (idle) {
        if (t.syscall >= 0)
          stack.push_back(profile.intern_frame(
              {ProfileFrameKind::kKernel, "syscall:" + syscall_label(t.syscall), "", 0, ""}));
        else
          stack.push_back(profile.intern_frame({ProfileFrameKind::kIdle, "<idle>", "", 0, ""}));
      }
      Sample s;
      s.time_ns = time_ns;
      s.stack = profile.intern_stack(stack);
      s.thread = thread_index(profile, t.tid, name);
      s.task = task;
      s.idle = idle;
      s.holds_gil = holds_gil;
      profile.add(s);
      ++stats.samples_added;
    }
    // Native stacks that never merge: modules mapped since we attached (a
    // command caught starting, libraries loaded later) are unknown to the
    // session. Open the process again, with its maps as they are now.
    if (merge_failures > 0 && merged == 0) {
      if (++native_failure_rounds_ % kRelocateRounds == 0) (void)reopen();
    } else {
      native_failure_rounds_ = 0;
    }
    return stats;
  }

 private:
  Result<SampleRoundStats> gone() {
    return make_error(ErrorKind::kGone, fmt::format("process {} exited", proc_->pid()));
  }
  // No Python thread has a frame, and something could not be read.
  bool nothing_readable() const {
    bool errors = !py_.errors.empty();
    for (const python::PyThread& pt : py_.threads) {
      if (!pt.frames.empty()) return false;
      errors = errors || !pt.errors.empty();
    }
    return errors;
  }
  bool alive() const {
    auto st = read_proc_stat(proc_->pid());
    return st && st->state != 'Z' && st->state != 'X';
  }

  uint32_t thread_index(Profile& profile, pid_t tid, const std::string& name) {
    auto it = thread_ids_.find(tid);
    if (it != thread_ids_.end() && profile.threads[it->second].name == name) return it->second;
    uint32_t id = profile.intern_thread({proc_->pid(), tid, name});
    thread_ids_[tid] = id;
    return id;
  }

  // The OS thread of a Python thread state: recorded by 3.11+; before, its
  // pthread_t is the address of glibc's struct pthread, which holds the tid.
  pid_t os_tid(const python::PyThread& pt, const std::vector<OsThread>& threads,
               const std::unordered_map<pid_t, size_t>& index_of) {
    if (pt.native_tid > 0) return static_cast<pid_t>(pt.native_tid);
    if (pt.thread_id == 0) return 0;
    if (auto it = tid_of_ident_.find(pt.thread_id);
        it != tid_of_ident_.end() && index_of.contains(it->second))
      return it->second;
    // Blocking mode: the stopped thread whose fs_base is this pthread_t.
    for (const OsThread& t : threads) {
      if (t.captured && t.captured->regs_valid && !t.captured->regs_partial &&
          t.captured->regs.fs_base == pt.thread_id)
        return tid_of_ident_[pt.thread_id] = t.tid;
    }
    if (!tid_offset_) learn_tid_offset(threads);
    if (!tid_offset_) return 0;
    auto v = proc_->read_value<int32_t>(RemoteAddr(pt.thread_id + *tid_offset_));
    if (!v || !index_of.contains(*v)) return 0;
    return tid_of_ident_[pt.thread_id] = *v;
  }

  void learn_tid_offset(const std::vector<OsThread>& threads) {
    std::unordered_set<pid_t> tids;
    for (const OsThread& t : threads) tids.insert(t.tid);
    std::vector<uint64_t> idents;
    for (const python::PyThread& pt : py_.threads)
      if (pt.thread_id) idents.push_back(pt.thread_id);
    if (idents.empty()) return;
    tid_offset_ = python::pthread_tid_offset(*proc_, idents, tids);
  }

  // With several interpreters, a marker frame where the stack (root first)
  // passes into another interpreter's Python frames.
  void add_interpreter_frame(Profile& profile, int64_t of_frame, int64_t& current,
                             std::vector<uint32_t>& stack) {
    if (py_.interpreters.size() <= 1 || of_frame == current) return;
    current = of_frame;
    stack.push_back(profile.intern_frame(
        {ProfileFrameKind::kInterpreter,
         of_frame >= 0 ? fmt::format("interpreter {}", of_frame) : "interpreter ?", "", 0, ""}));
  }

  // Native frames root first, each eval-loop call replaced by its Python
  // frames (merge_python_frames). False when they cannot be merged.
  bool add_native(Profile& profile, const UnwoundThread& u, const python::PyThread* pt,
                  std::vector<uint32_t>& stack) {
    if (!u.error.empty() && u.frames.empty()) return false;
    std::vector<Frame> nat = symbolized_frames(*symbolizer_, u);
    std::vector<Frame> merged;
    if (pt && !pt->frames.empty()) {
      std::vector<Frame> pyf;
      std::vector<bool> entries;
      for (const python::PyFrame& p : pt->frames) {
        Frame f;
        f.kind = FrameKind::kPython;
        f.function = p.function;
        f.file = p.filename;
        f.line = p.line;
        f.interpreter = p.interpreter;
        pyf.push_back(std::move(f));
        entries.push_back(p.entry);
      }
      if (!merge_python_frames(nat, pyf, entries, merged)) return false;
    } else {
      merged = std::move(nat);
    }
    int64_t interpreter = -2;
    for (auto f = merged.rbegin(); f != merged.rend(); ++f) {
      if (f->kind == FrameKind::kPython) {
        add_interpreter_frame(profile, f->interpreter, interpreter, stack);
        stack.push_back(profile.intern_frame({ProfileFrameKind::kPython, f->function.value_or("?"),
                                              f->file, opt_.lines ? f->line : 0, ""}));
      } else {
        stack.push_back(profile.intern_frame({ProfileFrameKind::kNative,
                                              f->function.value_or(hex_address(f->pc)), f->file,
                                              opt_.lines ? f->line : 0, f->module}));
      }
    }
    return true;
  }

  bool gil_note_said_ = false;
  pid_t pid_;
  std::unique_ptr<LiveProcess> proc_;
  SamplerOptions opt_;
  std::optional<python::PythonRuntime> runtime_;
  RemoteAddr interp_head_slot_;
  std::optional<python::RemoteObjects> ro_;
  std::optional<python::CodeCache> codes_;
  std::unique_ptr<DwflSession> session_;
  std::unique_ptr<Symbolizer> symbolizer_;
  std::string process_name_;
  uint64_t round_ = 0;
  uint64_t unreadable_rounds_ = 0;
  uint64_t native_failure_rounds_ = 0;
  python::PyProcess py_;
  std::optional<asyncio::AsyncioState> asyncio_;
  std::unordered_map<uint64_t, std::string> names_;  // thread ident -> threading name
  bool names_stale_ = false;
  std::unordered_map<uint64_t, pid_t> tid_of_ident_;
  std::optional<uint64_t> tid_offset_;
  const Profile* profile_ = nullptr;
  std::unordered_map<pid_t, uint32_t> thread_ids_;
  std::optional<uint32_t> process_frame_;
};

}  // namespace

Result<std::unique_ptr<Sampler>> Sampler::attach(pid_t pid, const SamplerOptions& options) {
  auto proc = LiveProcess::open(pid);
  if (!proc) return proc.error();
  auto s = std::make_unique<LiveSampler>(std::move(*proc), options);
  if (auto st = s->init(); !st) return st.error();
  return std::unique_ptr<Sampler>(std::move(s));
}

}  // namespace corostack::sample
