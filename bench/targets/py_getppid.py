"""Target of bench/trace_bench.py: N os.getppid() calls from one Python
line, three frames deep (what --py reads at each call); prints their time.
With --wait after N, it waits for a line on stdin first (traced with -p).
"""
import os
import sys
import time


def inner(n):
    getppid = os.getppid
    for _ in range(n):
        getppid()


def middle(n):
    inner(n)


def outer(n):
    start = time.time()
    middle(n)
    print("%.6f" % (time.time() - start))


if len(sys.argv) > 2 and sys.argv[2] == "--wait":
    # Attached to with -p: say ready, start when a line comes on stdin.
    print("ready", flush=True)
    sys.stdin.readline()
outer(int(sys.argv[1]) if len(sys.argv) > 1 else 50000)
