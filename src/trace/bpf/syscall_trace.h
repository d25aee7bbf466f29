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

struct ct_copy_hdr {
  __u64 addr;
  __u32 len;    /* bytes that follow in data[], in copy order */
  __u32 status; /* 0 copied; otherwise -errno of the read (len is then 0) */
};

/* One finished call in the ring buffer: this header, then the bytes of each
 * copy back to back (copies[0].len bytes, then copies[1].len). */
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
};

#endif
