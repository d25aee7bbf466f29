"""Python test target: a thread stuck inside the garbage collector.

Usage: python py_gc.py <ready_fd> <truth_path>

Runs unchanged on CPython 2.7 and 3.6+.

The "collector" thread makes a reference cycle watched by a weakref whose
callback blocks in os.read() of a pipe nobody writes, then calls
gc.collect(): the collector clears the cycle and calls the callback from
inside the collection, so the thread sleeps with a collection running
(gc.collecting set) until the process is killed. A "bystander" thread and
the main thread sleep in os.read() too, outside any collection.

Truth (JSON, written to <truth_path>.tmp then renamed):
  {"pid", "python": "3.11.7",
   "collector": TID, "others": [TID, ...]}
"""
import gc
import json
import os
import sys
import threading
import weakref

READY_FD = int(sys.argv[1])
TRUTH = os.path.abspath(sys.argv[2])
sync_r, sync_w = os.pipe()
block_r, block_w = os.pipe()
tids = {}
keep = []


def native_tid():
    return int(os.readlink("/proc/thread-self").rsplit("/", 1)[1])


class Node(object):
    pass


def on_cleared(ref):
    os.write(sync_w, b"x")
    os.read(block_r, 1)


def collector():
    tids["collector"] = native_tid()
    gc.disable()  # only the explicit collection below runs
    node = Node()
    node.self = node
    keep.append(weakref.ref(node, on_cleared))
    del node
    gc.collect()


def bystander():
    tids["bystander"] = native_tid()
    os.write(sync_w, b"x")
    os.read(block_r, 1)


def main():
    for target in (bystander, collector):
        t = threading.Thread(target=target, name=target.__name__)
        t.daemon = True
        t.start()
    os.read(sync_r, 1)
    os.read(sync_r, 1)
    truth = {"pid": os.getpid(), "python": "%d.%d.%d" % sys.version_info[:3],
             "collector": tids["collector"],
             "others": [tids["bystander"], native_tid()]}
    with open(TRUTH + ".tmp", "w") as f:
        json.dump(truth, f)
    os.rename(TRUTH + ".tmp", TRUTH)
    os.write(READY_FD, b"ready\n")
    os.read(block_r, 1)


if __name__ == "__main__":
    main()
