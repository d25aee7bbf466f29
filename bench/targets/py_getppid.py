"""Target of bench/trace_bench.py: N os.getppid() calls from one Python
line, three frames deep (what --py reads at each call); prints their time."""
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


outer(int(sys.argv[1]) if len(sys.argv) > 1 else 50000)
