"""CPU-bound reference target for bench/record_bench.py: a fixed amount of
pure-Python work on the main thread (plus one thread asleep), timed from
inside. Prints "elapsed SECONDS" (the work) and "cpu SECONDS" (the whole process,
user + system) on stdout when done, then exits.

Usage: python py_cpu_target.py [UNITS [THREADS]]   (default 60 units, ~3 s on
the bench machine, on the main thread; with THREADS > 0, that many threads
each do UNITS at once, in parallel on a free-threaded build, and the main
thread waits for them)
"""
import os
import sys
import threading
import time


def unit():
    x = 0
    for i in range(200000):
        x += i * i
    return x


def inner(n):
    for _ in range(n):
        unit()


def outer(n):
    inner(n)


def main():
    units = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    t = threading.Thread(target=lambda: time.sleep(3600), daemon=True)
    t.start()
    start = time.perf_counter()
    if threads:
        busy = [threading.Thread(target=outer, args=(units,)) for _ in range(threads)]
        for b in busy:
            b.start()
        for b in busy:
            b.join()
    else:
        outer(units)
    print("elapsed %.6f" % (time.perf_counter() - start), flush=True)
    t = os.times()
    print("cpu %.6f" % (t.user + t.system), flush=True)


if __name__ == "__main__":
    main()
