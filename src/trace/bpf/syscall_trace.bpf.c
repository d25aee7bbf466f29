// SPDX-License-Identifier: GPL-2.0
/* corostack trace's in-kernel backend: every system call of the traced
 * processes, filtered in the kernel, either summed per call number
 * (count_only, like strace -c -w) or sent to user space as one ring buffer
 * record per finished call with copies of its pointer arguments.
 *
 * Attach points are raw tracepoints only: `tracepoint/` needs tracefs (not
 * mounted on our hosts) and tp_btf/fentry need BPF_PROG_TYPE_TRACING (not
 * available there either). No vmlinux.h: the two kernel structs we touch are
 * declared minimally below and relocated by CO-RE against the running
 * kernel's BTF, so the object builds without the build host's kernel. */
#include <linux/bpf.h>

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "syscall_trace.h"

/* x86-64 user registers at syscall entry; CO-RE finds each field by name. */
struct pt_regs {
  unsigned long di;
  unsigned long si;
  unsigned long dx;
  unsigned long r10;
  unsigned long r8;
  unsigned long r9;
  unsigned long orig_ax;
} __attribute__((preserve_access_index));

struct signal_struct {
  struct {
    int counter;
  } live; /* atomic_t: threads of the group not yet past do_exit's group_dead */
} __attribute__((preserve_access_index));

/* x86-64: the user fs base is pthread_self(), what Python <= 3.10 records as
 * a thread state's thread_id. */
struct thread_struct {
  unsigned long fsbase;
} __attribute__((preserve_access_index));

struct task_struct {
  int pid;
  int tgid;
  struct signal_struct* signal;
  struct thread_struct thread;
} __attribute__((preserve_access_index));

/* Set by user space between open and load; the verifier sees them as
 * constants, so the count_only branch costs nothing in the other mode. */
const volatile __u8 count_only = 0;
const volatile __u8 trace_unknown = 1; /* trace numbers >= CT_MAX_NR (x32, future calls) */
const volatile __u32 copy_limit = 256; /* bytes per copy, <= CT_COPY_MAX */
/* Ring bytes pending above which a record wakes the reader at once. */
const volatile __u32 wakeup_bytes = 1 << 20;
/* --py: innermost Python frames captured per call (0: none), <= CT_PY_MAX_FRAMES. */
const volatile __u32 py_depth = 0;

/* Whether tgid_overflow holds anything: until then a slot miss is final. */
__u32 overflow_used = 0;
/* When a record last woke the reader (see send()). */
__u64 last_wakeup_ns = 0;

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, CT_TGID_SLOTS);
  __type(key, __u32);
  __type(value, __u32); /* the traced tgid in this slot, or 0 */
} tgid_slots SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, CT_MAX_TGIDS);
  __type(key, __u32);
  __type(value, __u8);
} tgid_overflow SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, CT_MAX_NR);
  __type(key, __u32);
  __type(value, __u8);
} traced_nrs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, CT_MAX_NR);
  __type(key, __u32);
  __type(value, struct ct_copy_specs);
} copy_specs SEC(".maps");

/* Mmapable: in_flight() scans it from user space in one pass. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, CT_INFLIGHT_SLOTS);
  __uint(map_flags, BPF_F_MMAPABLE);
  __type(key, __u32); /* tid % CT_INFLIGHT_SLOTS */
  __type(value, struct ct_inflight);
} inflight SEC(".maps");

/* Per CPU so the hot path needs no atomics; user space sums the CPUs. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, CT_MAX_NR);
  __type(key, __u32);
  __type(value, struct ct_stats);
} stats SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} dropped SEC(".maps");

/* --py: each traced process's interpreter layout, set by user space once it
 * has found the interpreter (and copied to forked children here). */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, __u32); /* tgid */
  __type(value, struct ct_py_layout);
} py_layouts SEC(".maps");

/* --py: the thread state each thread was last found to have. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384); /* user space shrinks it without --py */
  __type(key, __u32);         /* tid */
  __type(value, struct ct_py_thread);
} py_threads SEC(".maps");

/* --py: frames captured at entry, until the exit sends them. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, CT_PY_SLOTS); /* user space shrinks it without --py */
  __type(key, __u32);               /* tid % CT_PY_SLOTS */
  __type(value, struct ct_py_stack);
} py_stacks SEC(".maps");

/* --py: code objects user space has already read (it adds each one it
 * decodes). A record with a frame of any other code wakes user space at
 * once, so the code is read while the process still lives. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536); /* user space shrinks it without --py */
  __type(key, __u64);         /* code object address, tag bits cleared */
  __type(value, __u8);
} py_known_codes SEC(".maps");

/* execve/execveat arguments read at entry (struct ct_exec_copies), per
 * thread until the call returns. exec_blank is never written: its zeroed
 * value creates an entry (update needs a value from somewhere; one this size
 * cannot live on the BPF stack). */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 256);
  __type(key, __u32); /* tid */
  __type(value, struct ct_exec_copies);
} exec_args SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct ct_exec_copies);
} exec_blank SEC(".maps");

/* A record is built here, then sent with bpf_ringbuf_output at its real
 * length: bpf_ringbuf_reserve only takes a constant size, which would cost
 * 8 KiB of ring per getppid. Safe per CPU: a program never nests with itself
 * on one CPU (the kernel skips and counts such runs as recursion misses). */
#define CT_PY_BYTES (CT_PY_MAX_FRAMES * sizeof(struct ct_py_frame))
#define CT_COPIES_END (CT_PY_BYTES + CT_MAX_COPIES * CT_COPY_MAX)
/* execve's extra headers and bytes, sized for the masks exec_attach bounds
 * them with (64 headers, 2 * CT_EXEC_DATA bytes) rather than their real
 * maxima (CT_EXEC_MAX_COPIES, CT_EXEC_DATA): masks survive the compiler. */
#define CT_EXEC_HDR_ROOM (64 * sizeof(struct ct_copy_hdr))
#define CT_DATA_MAX (CT_COPIES_END + CT_EXEC_HDR_ROOM + 2 * CT_EXEC_DATA)
struct ct_scratch {
  struct ct_record rec;
  __u8 data[CT_DATA_MAX];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct ct_scratch);
} scratch SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 16 * 1024 * 1024); /* user space may resize before load */
} events SEC(".maps");

static __always_inline int tgid_traced(__u32 tgid) {
  __u32 key = tgid % CT_TGID_SLOTS;
  __u32* slot = bpf_map_lookup_elem(&tgid_slots, &key);
  if (slot && *slot == tgid) return 1;
  return overflow_used && bpf_map_lookup_elem(&tgid_overflow, &tgid);
}

/* Returns 0, or -1 when the process cannot be traced (no room). Two forks
 * racing for one free slot on two CPUs could lose one: that needs two new
 * traced pids equal modulo 65536 in the same instant, and is accepted. */
static __always_inline int tgid_add(__u32 tgid) {
  __u32 key = tgid % CT_TGID_SLOTS;
  __u32* slot = bpf_map_lookup_elem(&tgid_slots, &key);
  if (!slot) return -1;
  if (*slot == 0 || *slot == tgid) {
    *slot = tgid;
    return 0;
  }
  __u8 one = 1;
  if (bpf_map_update_elem(&tgid_overflow, &tgid, &one, BPF_ANY)) return -1;
  overflow_used = 1;
  return 0;
}

static __always_inline void tgid_remove(__u32 tgid) {
  __u32 key = tgid % CT_TGID_SLOTS;
  __u32* slot = bpf_map_lookup_elem(&tgid_slots, &key);
  if (slot && *slot == tgid)
    *slot = 0;
  else if (overflow_used)
    bpf_map_delete_elem(&tgid_overflow, &tgid);
}

static __always_inline struct ct_inflight* inflight_slot(__u32 tid) {
  __u32 key = tid % CT_INFLIGHT_SLOTS;
  return bpf_map_lookup_elem(&inflight, &key);
}

static __always_inline int nr_traced(__s64 nr) {
  if (nr < 0) return 0; /* -1: no call (ptrace skipped it) */
  if (nr >= CT_MAX_NR) return trace_unknown;
  __u32 key = (__u32)nr;
  __u8* on = bpf_map_lookup_elem(&traced_nrs, &key);
  return on && *on;
}

static __always_inline void count_drop(void) {
  __u32 zero = 0;
  __u64* n = bpf_map_lookup_elem(&dropped, &zero);
  if (n) *n += 1;
}

static __always_inline void read_args(struct pt_regs* regs, __u64* args) {
  args[0] = BPF_CORE_READ(regs, di);
  args[1] = BPF_CORE_READ(regs, si);
  args[2] = BPF_CORE_READ(regs, dx);
  args[3] = BPF_CORE_READ(regs, r10);
  args[4] = BPF_CORE_READ(regs, r8);
  args[5] = BPF_CORE_READ(regs, r9);
}

/* Copies the pointer arguments copy_specs names for rec->nr into s->data and
 * returns how many bytes it wrote. Everything is read at exit, input buffers
 * (write, sendto, paths) included: the caller's memory normally still holds
 * them, and one read per call halves the work. A page that is not resident
 * cannot be faulted in from here, so such a copy fails (status -EFAULT). */
static __always_inline __u32 copy_args(struct ct_scratch* s, __u32 off) {
  struct ct_record* rec = &s->rec;
  if (off > CT_PY_BYTES) off = CT_PY_BYTES;
  rec->n_copies = 0;
  if (rec->nr < 0 || rec->nr >= CT_MAX_NR) return off;
  __u32 key = (__u32)rec->nr;
  struct ct_copy_specs* specs = bpf_map_lookup_elem(&copy_specs, &key);
  if (!specs) return off;
  __u32 limit = copy_limit;
  if (limit > CT_COPY_MAX) limit = CT_COPY_MAX;

#pragma unroll
  for (int i = 0; i < CT_MAX_COPIES; i++) {
    struct ct_copy_spec sp = specs->c[i];
    if (sp.kind == CT_COPY_NONE || sp.arg > 5) break;
    __u64 addr = rec->args[sp.arg];
    __u64 want = 0;
    switch (sp.kind) {
      case CT_COPY_STRING:
        want = limit;
        break;
      case CT_COPY_LEN_ARG:
        if (sp.len_arg >= 0 && sp.len_arg <= 5) want = rec->args[sp.len_arg];
        /* `fixed`, when set, is the size of one element (poll's pollfd). */
        if (sp.fixed && want <= CT_COPY_MAX) want *= sp.fixed;
        break;
      case CT_COPY_LEN_RET:
        if (rec->ret > 0) want = (__u64)rec->ret;
        if (sp.fixed && want <= CT_COPY_MAX) want *= sp.fixed; /* epoll_wait's events */
        break;
      case CT_COPY_FIXED:
        want = sp.fixed;
        break;
    }
    if (want > limit) want = limit;
    __u32 len = (__u32)want;
    /* Re-bounded here, in the registers the helpers see, for the verifier. */
    if (len > CT_COPY_MAX) len = CT_COPY_MAX;
    if (off > CT_PY_BYTES + CT_COPY_MAX) off = CT_PY_BYTES + CT_COPY_MAX;
    long err = 0;
    if (sp.kind == CT_COPY_STRING) {
      long n = len ? bpf_probe_read_user_str(&s->data[off], len, (const void*)addr) : 0;
      if (n < 0)
        err = n;
      else
        len = (__u32)n; /* includes the NUL when one was found */
    } else if (len) {
      err = bpf_probe_read_user(&s->data[off], len, (const void*)addr);
    }
    if (err) len = 0;
    rec->copies[i].addr = addr;
    rec->copies[i].len = len;
    rec->copies[i].status = (__u32)err;
    rec->n_copies = i + 1;
    off += len;
  }
  return off;
}

/* Waking the reader for every record costs more than the call being traced
 * (an irq_work and a context switch). Wake it when a batch is pending or
 * when nothing woke it for 10 ms; otherwise the reader finds the records at
 * its next poll timeout (BpfTracer::poll consumes after a timeout). */
static __always_inline void send(struct ct_scratch* s, __u32 data_len, __u64 now, int urgent) {

  __u64 flags = BPF_RB_NO_WAKEUP;
  if (urgent || now - last_wakeup_ns > 10 * 1000 * 1000 ||
      bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > wakeup_bytes) {
    flags = BPF_RB_FORCE_WAKEUP;
    last_wakeup_ns = now;
  }
  __u64 size = sizeof(struct ct_record) + (__u64)data_len;
  barrier_var(size);
  if (size > sizeof(struct ct_scratch)) size = sizeof(struct ct_scratch);
  if (bpf_ringbuf_output(&events, s, size, flags)) count_drop();
}

/* execve ---------------------------------------------------------------- */

/* One copy into e->data at e->len: a string (NUL included when found) or
 * `size` bytes. Returns the bytes written; a failed read is a header with
 * its -errno and no bytes. */
static __always_inline __u32 exec_copy(struct ct_exec_copies* e, __u64 addr, __u32 size,
                                       int string) {
  __u32 i = e->n;
  __u32 off = e->len;
  if (i >= CT_EXEC_MAX_COPIES || off >= CT_EXEC_DATA) return 0;
  /* Bounds the verifier can follow: the compiler would otherwise fold the
   * checks into copies of the registers the helper does not get. */
  barrier_var(off);
  off &= CT_EXEC_DATA - 1;
  __u32 room = CT_EXEC_DATA - off;
  if (size > room) size = room;
  barrier_var(size);
  if (size > CT_EXEC_DATA) size = CT_EXEC_DATA;
  if (size == 0) return 0;
  long r = string ? bpf_probe_read_user_str(&e->data[off], size, (const void*)addr)
                  : bpf_probe_read_user(&e->data[off], size, (const void*)addr);
  __u32 len = 0;
  if (r >= 0) len = string ? (__u32)r : size;
  if (len > size) len = size;
  e->h[i].addr = addr;
  e->h[i].len = len;
  e->h[i].status = r < 0 ? (__u32)r : 0;
  e->n = i + 1;
  e->len = off + len;
  return len;
}

/* At execve's entry: path, envp[] (for its count), argv's strings, then
 * argv[] itself (its length known only once its NULL is found). */
static __always_inline void exec_capture(__u32 tid, __s64 nr, const __u64* args) {
  __u32 zero = 0;
  struct ct_exec_copies* blank = bpf_map_lookup_elem(&exec_blank, &zero);
  if (!blank || bpf_map_update_elem(&exec_args, &tid, blank, BPF_ANY)) return;
  struct ct_exec_copies* e = bpf_map_lookup_elem(&exec_args, &tid);
  if (!e) return;
  __u64 path = nr == 59 ? args[0] : args[1];
  __u64 argv = nr == 59 ? args[1] : args[2];
  __u64 envp = nr == 59 ? args[2] : args[3];
  exec_copy(e, path, CT_EXEC_PATH_MAX, 1);
  if (envp) {
    /* envp[] may end near the end of its mapping: smaller reads next. */
    __u32 n = e->n;
    if (!exec_copy(e, envp, 2048, 0) && e->n > n) {
      e->n = n;
      if (!exec_copy(e, envp, 512, 0) && e->n > n) {
        e->n = n;
        exec_copy(e, envp, 64, 0);
      }
    }
  }
  if (!argv) return;
  __u32 count = 0;
  for (__u32 k = 0; k <= CT_EXEC_MAX_ARGS; k++) {
    __u64 p = 0;
    if (bpf_probe_read_user(&p, sizeof p, (const void*)(argv + 8 * k))) break;
    e->argv[k] = p;
    count = k + 1;
    if (!p) break;
    if (k < CT_EXEC_MAX_ARGS) exec_copy(e, p, CT_EXEC_DATA, 1);
  }
  /* argv[] last: the pointers read above, as many as were readable. */
  __u32 i = e->n, off = e->len;
  __u32 len = count * 8;
  if (i >= CT_EXEC_MAX_COPIES || off >= CT_EXEC_DATA || len == 0) return;
  barrier_var(off);
  off &= CT_EXEC_DATA - 1;
  if (len > CT_EXEC_DATA - off) len = (CT_EXEC_DATA - off) & ~7u;
  barrier_var(len);
  if (len > sizeof e->argv) len = sizeof e->argv;
  if (len == 0 || bpf_probe_read_kernel(&e->data[off], len, e->argv)) return;
  e->h[i].addr = argv;
  e->h[i].len = len;
  e->h[i].status = 0;
  e->n = i + 1;
  e->len = off + len;
}

/* At exit: the entry's copies after the record's own, at `off`; returns the
 * new end. */
static __always_inline __u32 exec_attach(struct ct_scratch* s, __u32 tid, __u32 off) {
  struct ct_record* rec = &s->rec;
  rec->n_extra = 0;
  if (rec->nr != 59 && rec->nr != 322) return off;
  struct ct_exec_copies* e = bpf_map_lookup_elem(&exec_args, &tid);
  if (!e) return off;
  /* Masks, not comparisons: the compiler keeps a mask on the register the
   * helper gets, where it may test a copy. exec_capture never exceeds the
   * real maxima; the masks only keep the writes inside the scratch. */
  __u32 hdr_bytes = (e->n * sizeof(struct ct_copy_hdr)) & (CT_EXEC_HDR_ROOM - 1);
  __u32 len = e->len & (2 * CT_EXEC_DATA - 1);
  if (off > CT_COPIES_END) off = CT_COPIES_END;
  barrier_var(off);
  __u32 data_off = off + hdr_bytes;
  if (hdr_bytes && bpf_probe_read_kernel(&s->data[off], hdr_bytes, e->h) == 0 &&
      (len == 0 || bpf_probe_read_kernel(&s->data[data_off], len, e->data) == 0)) {
    rec->n_extra = hdr_bytes / sizeof(struct ct_copy_hdr);
    off = data_off + len;
  }
  bpf_map_delete_elem(&exec_args, &tid);
  return off;
}

/* --py ------------------------------------------------------------------ */

/* A word of the target; 0 when it cannot be read (not resident, unmapped). */
static __always_inline __u64 py_word(__u64 addr) {
  __u64 v = 0;
  if (bpf_probe_read_user(&v, sizeof v, (const void*)addr)) return 0;
  return v;
}

static __always_inline __u64 py_field(__u64 base, __s16 off) {
  if (!base || off < 0) return 0;
  return py_word(base + (__u64)off);
}

/* What a thread state says of the thread that runs it: its TID (3.11+) or
 * its pthread_t, which is the fs base (<= 3.10). */
static __always_inline __u64 py_thread_key(const struct ct_py_layout* l, __u32 tid) {
  if (l->match_native_tid) return tid;
  struct task_struct* task = (struct task_struct*)bpf_get_current_task();
  return BPF_CORE_READ(task, thread.fsbase);
}

/* One step of the search for a thread's state, through bpf_loop (the
 * verifier checks the step once instead of every iteration of 1024). */
struct py_search {
  struct ct_py_layout l;
  __u64 key;
  __u64 interp; /* the next interpreter to search */
  __u64 ts;     /* the next thread state of the current one; 0: go to the next interpreter */
  __u64 found;
  __u32 interps;
};

static long py_search_step(__u64 i, void* ctx) {
  struct py_search* x = ctx;
  if (!x->ts) {
    if (!x->interp || x->interps >= CT_PY_MAX_INTERPRETERS) return 1;
    x->ts = py_field(x->interp, x->l.interp_threads_head);
    x->interp = py_field(x->interp, x->l.interp_next);
    x->interps++;
    return 0;
  }
  if (py_field(x->ts, x->l.tstate_id) == x->key) {
    x->found = x->ts;
    return 1;
  }
  x->ts = py_field(x->ts, x->l.tstate_next);
  return 0;
}

/* The calling thread's state: the cached one while it still names this
 * thread (states are reused), else a search of every interpreter's list.
 * A miss is remembered for 50 ms so C threads do not search at every call. */
static __always_inline __u64 py_thread_state(const struct ct_py_layout* l, __u32 tid, __u64 now) {
  __u64 key = py_thread_key(l, tid);
  struct ct_py_thread* cached = bpf_map_lookup_elem(&py_threads, &tid);
  if (cached) {
    if (cached->tstate && py_field(cached->tstate, l->tstate_id) == key) return cached->tstate;
    if (!cached->tstate && now < cached->retry_ns) return 0;
  }
  struct py_search x = {};
  x.l = *l;
  x.key = key;
  x.interp = py_word(l->interp_head_slot);
  bpf_loop(CT_PY_MAX_INTERPRETERS * (CT_PY_MAX_THREADS + 1), py_search_step, &x, 0);
  struct ct_py_thread found = {x.found, now + 50 * 1000 * 1000};
  bpf_map_update_elem(&py_threads, &tid, &found, BPF_ANY);
  return found.tstate;
}

/* One step of the walk down a thread's frames, through bpf_loop as the
 * search: shim frames are passed over, the others written to the slot. */
struct py_walk {
  struct ct_py_layout l;
  __u64 frame;
  __u32 slot;
  __u32 n;
  __u32 depth;
  __u32 status;
};

static long py_walk_step(__u64 i, void* ctx) {
  struct py_walk* w = ctx;
  __u64 frame = w->frame;
  if (!frame || w->n >= w->depth) return 1;
  __u8 owner = 0;
  if (w->l.frame_owner >= 0 &&
      bpf_probe_read_user(&owner, 1, (const void*)(frame + (__u64)w->l.frame_owner))) {
    w->status = CT_PY_FAULT;
    return 1;
  }
  if (!(w->l.shim_owner_min && owner >= w->l.shim_owner_min)) {
    __u32 slot = w->slot;
    struct ct_py_stack* st = bpf_map_lookup_elem(&py_stacks, &slot);
    if (!st) return 1;
    struct ct_py_frame* f = &st->f[w->n & (CT_PY_MAX_FRAMES - 1)];
    f->code = py_field(frame, w->l.frame_code);
    f->pos = 0;
    f->tlbc_index = -1;
    f->owner = owner;
    long err = 0;
    if (w->l.pos_size == 4) {
      __s32 lasti = 0;
      err = bpf_probe_read_user(&lasti, 4, (const void*)(frame + (__u64)w->l.frame_pos));
      f->pos = (__u64)(__s64)lasti;
    } else {
      err = bpf_probe_read_user(&f->pos, 8, (const void*)(frame + (__u64)w->l.frame_pos));
    }
    if (!err && w->l.frame_tlbc_index >= 0)
      err = bpf_probe_read_user(&f->tlbc_index, 4,
                                (const void*)(frame + (__u64)w->l.frame_tlbc_index));
    if (err || !f->code) {
      w->status = CT_PY_FAULT;
      return 1;
    }
    w->n++;
  }
  w->frame = py_field(frame, w->l.frame_previous);
  return 0;
}

/* Walks the calling thread's frames into its py_stacks slot. */
static __always_inline void py_capture(__u32 tgid, __u32 tid, __u64 now) {
  __u32 slot = tid % CT_PY_SLOTS;
  struct ct_py_stack* st = bpf_map_lookup_elem(&py_stacks, &slot);
  if (!st) return;
  st->tid = tid;
  st->n = 0;
  st->status = CT_PY_NO_LAYOUT;
  const struct ct_py_layout* l = bpf_map_lookup_elem(&py_layouts, &tgid);
  if (!l) return;
  __u64 ts = py_thread_state(l, tid, now);
  if (!ts) {
    st->status = CT_PY_NO_THREAD;
    return;
  }
  struct py_walk w = {};
  w.l = *l;
  w.slot = slot;
  w.depth = py_depth < CT_PY_MAX_FRAMES ? py_depth : CT_PY_MAX_FRAMES;
  w.status = CT_PY_OK;
  if (l->model == CT_PY_CFRAME)
    w.frame = py_field(py_field(ts, l->tstate_cframe), l->cframe_current_frame);
  else
    w.frame = py_field(ts, l->tstate_frame);
  bpf_loop(CT_PY_MAX_STEPS, py_walk_step, &w, 0);
  /* Looked up again: the verifier forgets what st pointed at across the loop. */
  st = bpf_map_lookup_elem(&py_stacks, &slot);
  if (!st) return;
  st->n = w.n;
  st->status = w.status;
}

/* Puts the frames captured at entry at the start of the record's data;
 * returns their bytes. *urgent is set when one of their code objects is new
 * to user space. */
static __always_inline __u32 py_attach(struct ct_scratch* s, __u32 tid, int* urgent) {
  struct ct_record* rec = &s->rec;
  rec->py_n = 0;
  rec->py_status = CT_PY_NONE;
  if (!py_depth) return 0;
  __u32 slot = tid % CT_PY_SLOTS;
  struct ct_py_stack* st = bpf_map_lookup_elem(&py_stacks, &slot);
  if (!st) return 0;
  if (st->tid != tid) {
    rec->py_status = CT_PY_LOST;
    return 0;
  }
  __u32 n = st->n;
  if (n > CT_PY_MAX_FRAMES) n = CT_PY_MAX_FRAMES;
  struct ct_py_frame* out = (struct ct_py_frame*)s->data;
  for (int i = 0; i < CT_PY_MAX_FRAMES; i++) {
    if (i >= n) break;
    out[i] = st->f[i];
    __u64 code = out[i].code & ~(__u64)3;
    if (!*urgent && !bpf_map_lookup_elem(&py_known_codes, &code)) *urgent = 1;
  }
  rec->py_n = n;
  rec->py_status = st->status;
  st->tid = 0;
  return n * sizeof(struct ct_py_frame);
}

SEC("raw_tp/sys_enter")
int cst_sys_enter(struct bpf_raw_tracepoint_args* ctx) {
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tgid = id >> 32;
  __u32 tid = (__u32)id;
  if (!tgid_traced(tgid)) return 0;
  __s64 nr = (__s64)ctx->args[1];
  if (!nr_traced(nr)) return 0;

  struct ct_inflight* in = inflight_slot(tid);
  if (!in) return 0;
  if (in->enter_ns && in->tid != tid) count_drop(); /* another thread's call loses its slot */
  in->nr = nr;
  in->tid = tid;
  in->tgid = tgid;
  if (!count_only) {
    read_args((struct pt_regs*)ctx->args[0], in->args);
    /* accept (43), getsockname (51), getpeername (52), accept4 (288): the
     * length the caller offers, which the call overwrites. */
    in->has_entry_len = 0;
    if (nr == 43 || nr == 51 || nr == 52 || nr == 288) {
      __u32 len = 0;
      if (in->args[2] && bpf_probe_read_user(&len, sizeof len, (const void*)in->args[2]) == 0) {
        in->entry_len = len;
        in->has_entry_len = 1;
      }
    }
  }
  if (!count_only && (nr == 59 || nr == 322)) exec_capture(tid, nr, in->args);
  if (py_depth) py_capture(tgid, tid, bpf_ktime_get_ns());
  in->enter_ns = bpf_ktime_get_ns(); /* last, so our own work is outside the duration */
  return 0;
}

SEC("raw_tp/sys_exit")
int cst_sys_exit(struct bpf_raw_tracepoint_args* ctx) {
  __u64 now = bpf_ktime_get_ns(); /* first, for the same reason */
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tgid = id >> 32;
  __u32 tid = (__u32)id;
  if (!tgid_traced(tgid)) return 0;
  __s64 ret = (__s64)ctx->args[1];
  struct ct_inflight* in = inflight_slot(tid);
  if (in && (in->tid != tid || !in->enter_ns)) in = 0; /* not ours, or no entry seen */

  if (count_only) {
    if (!in) return 0; /* entered before we attached: no duration */
    __s64 nr = in->nr;
    __u64 ns = now - in->enter_ns;
    in->enter_ns = 0;
    if (nr < 0 || nr >= CT_MAX_NR) return 0;
    __u32 key = (__u32)nr;
    struct ct_stats* st = bpf_map_lookup_elem(&stats, &key);
    if (!st) return 0;
    st->calls += 1;
    if (ret < 0 && ret > -4096) st->errors += 1;
    st->total_ns += ns;
    if (st->min_ns == 0 || ns < st->min_ns) st->min_ns = ns;
    if (ns > st->max_ns) st->max_ns = ns;
    return 0;
  }

  __u32 zero = 0;
  struct ct_scratch* s = bpf_map_lookup_elem(&scratch, &zero);
  if (!s) return 0;
  struct ct_record* rec = &s->rec;
  rec->tid = tid;
  rec->tgid = tgid;
  rec->ret = ret;
  rec->exit_ns = now;
  if (in) {
    rec->nr = in->nr;
    rec->enter_ns = in->enter_ns;
    rec->flags = 0;
#pragma unroll
    for (int i = 0; i < 6; i++) rec->args[i] = in->args[i];
    rec->entry_len = in->entry_len;
    rec->has_entry_len = in->has_entry_len;
    in->enter_ns = 0;
  } else {
    /* Entered before tracing began (or the entry was filtered): what the
     * registers still say. The registers hold the arguments until return. */
    struct pt_regs* regs = (struct pt_regs*)ctx->args[0];
    rec->nr = (__s64)BPF_CORE_READ(regs, orig_ax);
    if (!nr_traced(rec->nr)) return 0;
    rec->enter_ns = 0;
    rec->flags = CT_F_NO_ENTRY;
    rec->has_entry_len = 0;
    read_args(regs, rec->args);
  }
  int urgent = 0;
  __u32 py_bytes = in ? py_attach(s, tid, &urgent) : 0;
  if (!in) {
    rec->py_n = 0;
    rec->py_status = CT_PY_NONE;
  }
  __u32 len = copy_args(s, py_bytes);
  len = in ? exec_attach(s, tid, len) : len;
  if (!in) rec->n_extra = 0;
  send(s, len, now, urgent);
  return 0;
}

/* follow_forks: a child of a traced process is traced from its first
 * instruction. The tracepoint fires in the parent before the child is woken. */
SEC("raw_tp/sched_process_fork")
int cst_fork(struct bpf_raw_tracepoint_args* ctx) {
  struct task_struct* parent = (struct task_struct*)ctx->args[0];
  struct task_struct* child = (struct task_struct*)ctx->args[1];
  __u32 ptgid = BPF_CORE_READ(parent, tgid);
  if (!tgid_traced(ptgid)) return 0;
  __u32 ctgid = BPF_CORE_READ(child, tgid);
  if (ctgid == ptgid) return 0; /* a thread */
  if (tgid_add(ctgid)) count_drop();
  /* A forked child has its parent's memory layout: the interpreter is where
   * it was until the child execs (user space removes the entry then). */
  if (py_depth) {
    struct ct_py_layout* l = bpf_map_lookup_elem(&py_layouts, &ptgid);
    if (l) {
      struct ct_py_layout copy = *l;
      bpf_map_update_elem(&py_layouts, &ctgid, &copy, BPF_ANY);
    }
  }
  return 0;
}

/* A thread leaving inside a call (exit_group, exit, a fatal signal while
 * blocked) never reaches sys_exit: report the call as such and forget it.
 * When the last thread of a process goes, forget the process too, so a
 * recycled pid is not traced. Runs in the exiting thread. */
SEC("raw_tp/sched_process_exit")
int cst_exit(struct bpf_raw_tracepoint_args* ctx) {
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tgid = id >> 32;
  __u32 tid = (__u32)id;
  /* No tgid_traced() test first: another thread of the process may have
   * been the last past group_dead and removed it already, while this one
   * still had a call in flight (only traced threads have in-flight slots). */
  struct ct_inflight* in = inflight_slot(tid);
  if (in && in->tid == tid && in->enter_ns) {
    __u32 zero = 0;
    struct ct_scratch* s = count_only ? 0 : bpf_map_lookup_elem(&scratch, &zero);
    if (s) {
      struct ct_record* rec = &s->rec;
      rec->tid = tid;
      rec->tgid = tgid;
      rec->nr = in->nr;
      rec->ret = 0;
      rec->enter_ns = in->enter_ns;
      rec->exit_ns = bpf_ktime_get_ns();
      rec->flags = CT_F_EXITED;
      rec->n_copies = 0;
      rec->has_entry_len = 0;
      rec->py_n = 0;
      rec->py_status = CT_PY_NONE;
      rec->n_extra = 0;
#pragma unroll
      for (int i = 0; i < 6; i++) rec->args[i] = in->args[i];
      send(s, 0, rec->exit_ns, 0);
    }
    in->enter_ns = 0;
  }
  if (!tgid_traced(tgid)) return 0;
  struct task_struct* task = (struct task_struct*)ctx->args[0];
  if (BPF_CORE_READ(task, signal, live.counter) == 0) {
    tgid_remove(tgid);
    if (py_depth) bpf_map_delete_elem(&py_layouts, &tgid);
  }
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
