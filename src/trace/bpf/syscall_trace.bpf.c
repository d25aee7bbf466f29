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

struct task_struct {
  int pid;
  int tgid;
  struct signal_struct* signal;
} __attribute__((preserve_access_index));

/* Set by user space between open and load; the verifier sees them as
 * constants, so the count_only branch costs nothing in the other mode. */
const volatile __u8 count_only = 0;
const volatile __u8 trace_unknown = 1; /* trace numbers >= CT_MAX_NR (x32, future calls) */
const volatile __u32 copy_limit = 256; /* bytes per copy, <= CT_COPY_MAX */
/* Ring bytes pending above which a record wakes the reader at once. */
const volatile __u32 wakeup_bytes = 1 << 20;

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

/* A record is built here, then sent with bpf_ringbuf_output at its real
 * length: bpf_ringbuf_reserve only takes a constant size, which would cost
 * 8 KiB of ring per getppid. Safe per CPU: a program never nests with itself
 * on one CPU (the kernel skips and counts such runs as recursion misses). */
struct ct_scratch {
  struct ct_record rec;
  __u8 data[CT_MAX_COPIES * CT_COPY_MAX];
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
static __always_inline __u32 copy_args(struct ct_scratch* s) {
  struct ct_record* rec = &s->rec;
  __u32 off = 0;
  rec->n_copies = 0;
  if (rec->nr < 0 || rec->nr >= CT_MAX_NR) return 0;
  __u32 key = (__u32)rec->nr;
  struct ct_copy_specs* specs = bpf_map_lookup_elem(&copy_specs, &key);
  if (!specs) return 0;
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
    if (off > CT_COPY_MAX) off = CT_COPY_MAX;
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
static __always_inline void send(struct ct_scratch* s, __u32 data_len, __u64 now) {
  if (data_len > CT_MAX_COPIES * CT_COPY_MAX) data_len = CT_MAX_COPIES * CT_COPY_MAX;
  __u64 flags = BPF_RB_NO_WAKEUP;
  if (now - last_wakeup_ns > 10 * 1000 * 1000 ||
      bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > wakeup_bytes) {
    flags = BPF_RB_FORCE_WAKEUP;
    last_wakeup_ns = now;
  }
  if (bpf_ringbuf_output(&events, s, sizeof(struct ct_record) + data_len, flags)) count_drop();
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
  send(s, copy_args(s), now);
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
#pragma unroll
      for (int i = 0; i < 6; i++) rec->args[i] = in->args[i];
      send(s, 0, rec->exit_ns);
    }
    in->enter_ns = 0;
  }
  if (!tgid_traced(tgid)) return 0;
  struct task_struct* task = (struct task_struct*)ctx->args[0];
  if (BPF_CORE_READ(task, signal, live.counter) == 0) tgid_remove(tgid);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
