/* The contract between syscall_trace.bpf.c (kernel) and bpf_tracer.cpp (user
 * space): map value layouts and the ring buffer record. Plain C with fixed-size
 * types so both compilers lay it out identically; keep it free of anything
 * either side cannot parse. */
#ifndef COROSTACK_TRACE_BPF_SYSCALL_TRACE_H
#define COROSTACK_TRACE_BPF_SYSCALL_TRACE_H

#include <linux/types.h>

/* Call numbers the per-call maps cover. x86-64 numbers stay below 512; x32
 * numbers (bit 30) and anything beyond are "unknown" (see trace_unknown). */
#define CT_MAX_NR 512
/* Pointer arguments copied per call, and the most bytes one copy may hold: a
 * fixed ceiling so the verifier can bound every write into the scratch record. */
#define CT_MAX_COPIES 2
#define CT_COPY_MAX 4096
/* Traced processes (the target plus forked children with follow_forks):
 * slot tgid % CT_TGID_SLOTS of an array holds the tgid, so the check every
 * system call on the machine pays is one inlined array load. A traced tgid
 * whose slot is taken goes to an overflow hash of CT_MAX_TGIDS. */
#define CT_TGID_SLOTS 65536
#define CT_MAX_TGIDS 8192
/* Calls in flight: slot tid % CT_INFLIGHT_SLOTS, for the same reason (a hash
 * update and delete per call cost more than the rest of the program). Two
 * traced threads in flight at once in one slot: the older call loses its
 * entry (counted as dropped). */
#define CT_INFLIGHT_SLOTS 65536

/* What one copy spec reads, and how long. */
enum ct_copy_kind {
  CT_COPY_NONE = 0,
  CT_COPY_STRING = 1,  /* NUL-terminated string at args[arg] */
  CT_COPY_LEN_ARG = 2, /* args[len_arg] bytes at args[arg] (write, connect's sockaddr),
                          times `fixed` when set (elements of that size: poll) */
  CT_COPY_LEN_RET = 3, /* ret bytes when ret > 0 (read, recvfrom), times `fixed` when
                          set (epoll_wait's events) */
  CT_COPY_FIXED = 4,   /* `fixed` bytes (struct stat, timespec, int[2] of pipe) */
};

struct ct_copy_spec {
  __u8 arg;
  __u8 kind; /* enum ct_copy_kind */
  __s8 len_arg;
  __u8 pad;
  __u32 fixed;
};

/* traced_nrs-indexed value: which pointer arguments of call nr to copy. */
struct ct_copy_specs {
  struct ct_copy_spec c[CT_MAX_COPIES];
};

/* A call between sys_enter and sys_exit, in slot tid % CT_INFLIGHT_SLOTS;
 * enter_ns 0 = the slot is free. count_only fills only nr, enter_ns and ids. */
struct ct_inflight {
  __s64 nr;
  __u64 args[6];
  __u64 enter_ns;
  __u32 tid;
  __u32 tgid;
  /* accept, accept4, getsockname, getpeername: *addrlen as the caller set it,
   * read at entry (the kernel overwrites it), for strace's "[110 => 16]". */
  __u32 entry_len;
  __u32 has_entry_len;
};

/* count_only totals for one call number on one CPU (user space sums CPUs). */
struct ct_stats {
  __u64 calls;
  __u64 errors;
  __u64 total_ns;
  __u64 min_ns;
  __u64 max_ns;
};

/* Record flags. */
#define CT_F_NO_ENTRY \
  1u /* the call entered before tracing began: args from registers at exit, enter_ns 0 */
#define CT_F_EXITED \
  2u /* the thread exited inside the call (exit_group, a fatal signal): ret meaningless */

/* --py: the calling thread's Python frames, captured at entry by walking the
 * interpreter's frame list in the kernel, with offsets user space read from
 * the target (struct ct_py_layout, one per traced tgid). Only raw values are
 * taken (code object, position, per-thread bytecode index); user space turns
 * them into function, file and line with the same code cache as `dump`. */
#define CT_PY_MAX_FRAMES 16
/* Shim frames (one per C-level eval call) do not count: this bounds the walk. */
#define CT_PY_MAX_STEPS (2 * CT_PY_MAX_FRAMES + 2)
/* Stacks between entry and exit: slot tid % CT_PY_SLOTS (as ct_inflight). */
#define CT_PY_SLOTS 8192
/* Thread states searched per interpreter, and interpreters, when a thread's
 * state is not cached yet. */
#define CT_PY_MAX_THREADS 256
#define CT_PY_MAX_INTERPRETERS 4

enum ct_py_model {
  CT_PY_FRAME_OBJECTS = 1, /* <= 3.10: tstate->frame, PyFrameObject.f_back, f_lasti (int) */
  CT_PY_CFRAME = 2,        /* 3.11-3.12: tstate->cframe->current_frame, prev_instr */
  CT_PY_CURRENT_FRAME = 3, /* 3.13+: tstate->current_frame, instr_ptr */
};

/* Offsets are bytes from the start of each struct; -1 = absent. */
struct ct_py_layout {
  __u64 interp_head_slot; /* address holding the first PyInterpreterState* */
  __u8 model;             /* enum ct_py_model */
  __u8 match_native_tid;  /* 1: tstate.native_thread_id == tid; 0: tstate.thread_id == fs base */
  __u8 shim_owner_min;    /* frames with owner >= this are shims (0: none) */
  __u8 pos_size;          /* bytes of the position field: 4 (f_lasti) or 8 (pointer) */
  __s16 interp_next;
  __s16 interp_threads_head;
  __s16 tstate_next;
  __s16 tstate_id;    /* native_thread_id or thread_id, per match_native_tid */
  __s16 tstate_frame; /* frame (<= 3.10) or current_frame (3.13+) */
  __s16 tstate_cframe;
  __s16 cframe_current_frame;
  __s16 frame_previous;
  __s16 frame_code;
  __s16 frame_pos;
  __s16 frame_owner;
  __s16 frame_tlbc_index;
  __u16 pad;
};

struct ct_py_frame {
  __u64 code;       /* f_code / f_executable as read (3.14: a tagged stack reference) */
  __u64 pos;        /* f_lasti (sign-extended int) or the instruction pointer */
  __s32 tlbc_index; /* -1 when the build has none */
  __u8 owner;
  __u8 pad[3];
};

/* Why a record carries no (or fewer) Python frames. */
enum ct_py_status {
  CT_PY_OK = 0,
  CT_PY_NONE = 1,      /* not asked for, or no entry seen */
  CT_PY_NO_LAYOUT = 2, /* the process's interpreter is not known (yet) */
  CT_PY_NO_THREAD = 3, /* no thread state for this thread: not a Python thread */
  CT_PY_LOST = 4,      /* another thread's call took the slot */
  CT_PY_FAULT = 5,     /* a read failed mid-walk: the frames before it are kept */
};

struct ct_py_stack {
  __u32 tid;
  __u32 n;
  __u32 status;
  __u32 pad;
  struct ct_py_frame f[CT_PY_MAX_FRAMES];
};

/* Cached thread state of a thread; tstate 0 = none found, look again after retry_ns. */
struct ct_py_thread {
  __u64 tstate;
  __u64 retry_ns;
};

/* execve and execveat replace the memory their arguments live in, so what
 * strace shows of them is read at entry: the path, envp's pointers (strace
 * prints how many), argv's pointers (up to CT_EXEC_MAX_ARGS and
 * the one after, to know there are more) and the strings they point to, at
 * most CT_EXEC_DATA bytes in all. Kept per thread until the call returns,
 * then sent as the record's extra copies. */
#define CT_EXEC_MAX_ARGS 32
#define CT_EXEC_MAX_COPIES (CT_EXEC_MAX_ARGS + 3) /* path, envp[], argv strings, argv[] */
#define CT_EXEC_DATA 4096
#define CT_EXEC_PATH_MAX 1024

struct ct_copy_hdr {
  __u64 addr;
  __u32 len;    /* bytes that follow in data[], in copy order */
  __u32 status; /* 0 copied; otherwise -errno of the read (len is then 0) */
};

struct ct_exec_copies {
  __u32 n;   /* headers used */
  __u32 len; /* data bytes used */
  struct ct_copy_hdr h[CT_EXEC_MAX_COPIES];
  __u64 argv[CT_EXEC_MAX_ARGS + 1];
  /* Twice the budget: each write starts below CT_EXEC_DATA and is at most
   * CT_EXEC_DATA long, a bound the verifier can check without relating the two. */
  __u8 data[2 * CT_EXEC_DATA];
};

/* One finished call in the ring buffer: this header, then py_n Python frames,
 * then the bytes of each copy back to back (copies[0].len bytes, then
 * copies[1].len), then n_extra more copy headers (execve's, read at entry)
 * and their bytes back to back. */
struct ct_record {
  __u32 tid;
  __u32 tgid;
  __s64 nr;
  __u64 args[6];
  __s64 ret;
  __u64 enter_ns;
  __u64 exit_ns;
  __u32 flags;
  __u32 n_copies;
  __u32 entry_len;     /* as ct_inflight's */
  __u32 has_entry_len; /* 0: none read */
  struct ct_copy_hdr copies[CT_MAX_COPIES];
  __u32 py_n;      /* ct_py_frames right after this header, before the copies */
  __u32 py_status; /* enum ct_py_status */
  __u32 n_extra;   /* copy headers after the copies' bytes (execve's) */
  __u32 pad;
};

#endif
