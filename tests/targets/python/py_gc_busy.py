"""Python test target: a thread that spends its time in the garbage collector.

Usage: python py_gc_busy.py <ready_fd> <truth_path>

The "collector" thread keeps 200 000 objects in reference cycles alive and
calls gc.collect() in a loop, so most of its time is a collection run while
it holds the GIL; the main thread sleeps in os.read(). Truth (JSON):
{"pid", "collector": TID}.
"""
import gc
import json
import os
import sys
import threading

READY_FD = int(sys.argv[1])
TRUTH = os.path.abspath(sys.argv[2])


def native_tid():
    return int(os.readlink("/proc/thread-self").rsplit("/", 1)[1])


class Node(object):
    pass


def collector(started, out):
    keep = []
    for _ in range(100000):
        a, b = Node(), Node()
        a.other, b.other = b, a
        keep.append(a)
    out["collector"] = native_tid()
    started.set()
    while True:
        gc.collect()


def main():
    started = threading.Event()
    out = {}
    t = threading.Thread(target=collector, args=(started, out), name="collector")
    t.daemon = True
    t.start()
    started.wait()
    with open(TRUTH + ".tmp", "w") as f:
        json.dump({"pid": os.getpid(), "collector": out["collector"]}, f)
    os.rename(TRUTH + ".tmp", TRUTH)
    r, w = os.pipe()
    os.write(READY_FD, b"ready\n")
    os.close(READY_FD)
    os.read(r, 1)


if __name__ == "__main__":
    main()
