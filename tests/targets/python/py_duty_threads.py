"""Python test target for the sampler: threads that want known CPU shares.

Usage: python py_duty_threads.py <ready_fd> <truth_path>

Runs unchanged on CPython 2.7 and 3.6+. Four threads, duty10 .. duty40,
each forever spins in pure Python (spin()) for 1, 2, 3 or 4 ms of every
10 ms and sleeps the rest: together one core's worth, so on a
free-threaded build they run at once and on a GIL build they take turns.
The test measures each thread's real CPU time from /proc while it records;
the samples per thread must follow it. The main thread blocks in os.read().

Truth (JSON, written to <truth_path>.tmp then renamed):
  {"pid", "python", "threads": [{"name", "tid", "duty"}]}
"""
import json
import os
import sys
import threading
import time

READY_FD = int(sys.argv[1])
TRUTH = os.path.abspath(sys.argv[2])
PERIOD = 0.010
clock = getattr(time, "perf_counter", time.time)
tids = {}
lock = threading.Lock()


def spin(until):
    x = 0
    while clock() < until:
        x += 1
    return x


def duty_loop(name, share, started):
    with lock:
        tids[name] = int(os.readlink("/proc/thread-self").rsplit("/", 1)[1])
    started.release()
    while True:
        start = clock()
        spin(start + PERIOD * share)
        rest = start + PERIOD - clock()
        if rest > 0:
            time.sleep(rest)


def main():
    started = threading.Semaphore(0)
    duties = [("duty10", 0.1), ("duty20", 0.2), ("duty30", 0.3), ("duty40", 0.4)]
    for name, share in duties:
        t = threading.Thread(target=duty_loop, name=name, args=(name, share, started))
        t.daemon = True
        t.start()
    for _ in duties:
        started.acquire()
    truth = {"pid": os.getpid(), "python": "%d.%d.%d" % sys.version_info[:3],
             "threads": [{"name": n, "tid": tids[n], "duty": s} for n, s in duties]}
    with open(TRUTH + ".tmp", "w") as f:
        json.dump(truth, f)
    os.rename(TRUTH + ".tmp", TRUTH)
    os.write(READY_FD, b"ready\n")
    r, w = os.pipe()
    os.read(r, 1)


if __name__ == "__main__":
    main()
