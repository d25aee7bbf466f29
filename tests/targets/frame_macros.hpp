#pragma once
// Keeps the targets' call chains real frames at -O2: no inlining, no cloning
// (GCC's .constprop/.isra copies would rename the functions), no tail calls.
#if defined(__clang__)
#define TARGET_FRAME __attribute__((noinline))
#else
#define TARGET_FRAME __attribute__((noinline, noipa))
#endif

// Placed after a call so that the call is not the function's last action:
// the compiler can neither turn it into a jump nor merge the frames.
#define AFTER_CALL() asm volatile("" ::: "memory")
