"""Python test target for `corostack doctor`: threads stuck on threading
locks, idle in a pool, or waiting for a GIL another thread will not give up.

Usage: python py_locks.py <ready_fd> <truth_path> <mode>

Modes:
  rlock_cycle  "payer" takes alice.lock (an RLock attribute of the object
               `alice`) then wants the module global RLock ledger_lock;
               "poster" takes them in the opposite order: a deadlock.
  lock_wait    "holder" takes the plain Lock `vault_lock` and sleeps in a
               blocking read; "waiter" blocks in `with vault_lock`.
  idle_pool    4 "pool-N" workers blocked in queue.Queue.get, 1 "gate"
               thread in threading.Event.wait: healthy, nothing to find.
  gil_hog      "hog" holds the GIL inside one long re.match call (an
               exponential regex); 3 "spinner-N" threads want it; the main
               thread sleeps in a read. "ready" is written before the hog
               starts matching (nothing runs Python after that).

Truth (JSON, written to <truth_path>.tmp then renamed, before "ready"):
  {"pid", "python", "mode", "main_tid", "threads": {name: tid},
   "lines": {marker: line}, "lock_ids": {name: id()}, ...}
where each marker is a `# @marker` comment on the line of a `with`, an
acquire or a call below. Then "ready" goes to <ready_fd> once every thread is
where the mode puts it (checked through /proc: blocked in futex() across
several of the main thread's sleeps, which give the GIL to anyone who wants
it), and the main thread blocks in a read (gil_hog: it waits for the GIL).
"""
import json
import os
import re
import sys
import threading
import time

try:
    import queue
except ImportError:  # Python 2
    import Queue as queue

READY_FD = int(sys.argv[1])
TRUTH = os.path.abspath(sys.argv[2])
MODE = sys.argv[3]


def native_tid():
    return int(os.readlink("/proc/thread-self").rsplit("/", 1)[1])


def marker_lines():
    lines = {}
    with open(os.path.abspath(__file__)) as f:
        for n, text in enumerate(f, 1):
            m = re.search(r"  # @(\w+)$", text.rstrip())
            if m:
                lines[m.group(1)] = n
    return lines


class Account(object):
    def __init__(self, name):
        self.name = name
        self.lock = threading.RLock()


alice = Account("alice")
ledger_lock = threading.RLock()
vault_lock = threading.Lock()
tids = {}
both_hold = threading.Barrier(2) if hasattr(threading, "Barrier") else None


def payer():
    tids["payer"] = native_tid()
    with alice.lock:  # @payer_first
        both_hold.wait()
        with ledger_lock:  # @payer_second
            pass


def poster():
    tids["poster"] = native_tid()
    with ledger_lock:  # @poster_first
        both_hold.wait()
        with alice.lock:  # @poster_second
            pass


def holder(read_fd, holding):
    tids["holder"] = native_tid()
    with vault_lock:  # @holder_with
        holding.set()
        os.read(read_fd, 1)  # @holder_read


def waiter(holding):
    tids["waiter"] = native_tid()
    holding.wait()
    with vault_lock:  # @waiter_with
        pass


def pool_worker(n, jobs):
    tids["pool-%d" % n] = native_tid()
    while True:
        job = jobs.get()  # @pool_get
        if job is None:
            return


def gate(event):
    tids["gate"] = native_tid()
    event.wait()  # @gate_wait


def spinner(n):
    tids["spinner-%d" % n] = native_tid()
    x = 0
    while True:
        x += 1  # @spin


def hog(go):
    tids["hog"] = native_tid()
    go.wait()
    re.match(r"(a+)+$", "a" * 64 + "b")  # @hog_match


def syscall_of(tid):
    try:
        with open("/proc/self/task/%d/syscall" % tid) as f:
            return f.read().split()
    except (IOError, OSError):
        return []


def wait_in_futex(names):
    """Until every named thread is in futex() at the same place for 20
    checks in a row, with a sleep of the main thread (which lets any other
    thread take the GIL) between checks: then none of them waits for the
    GIL, which would be handed over within a switch interval (5 ms)."""
    same = 0
    last = None
    deadline = time.time() + 30
    while same < 20:
        if time.time() > deadline:
            sys.stderr.write("threads never blocked: %r\n" % last)
            os._exit(5)
        now = [syscall_of(tids[n]) if n in tids else [] for n in names]
        if all(s[:1] == ["202"] for s in now) and now == last:
            same += 1
        else:
            same = 0
        last = now
        time.sleep(0.01)


def write_truth(extra):
    truth = {"pid": os.getpid(), "python": "%d.%d.%d" % sys.version_info[:3],
             "mode": MODE, "main_tid": native_tid(), "threads": dict(tids),
             "lines": marker_lines(), "file": os.path.abspath(__file__),
             # CPython's id() is the object's address.
             "lock_ids": {"ledger_lock": id(ledger_lock), "alice.lock": id(alice.lock),
                          "vault_lock": id(vault_lock)}}
    truth.update(extra)
    with open(TRUTH + ".tmp", "w") as f:
        json.dump(truth, f)
    os.rename(TRUTH + ".tmp", TRUTH)


def start(name, target, *args):
    t = threading.Thread(target=target, name=name, args=args)
    t.daemon = True
    t.start()
    return t


def main():
    r, w = os.pipe()
    if MODE == "rlock_cycle":
        start("payer", payer)
        start("poster", poster)
        while len(tids) < 2:
            time.sleep(0.001)
        wait_in_futex(["payer", "poster"])
        write_truth({"lock_names": {"payer": "ledger_lock", "poster": "alice.lock"}})
    elif MODE == "lock_wait":
        holding = threading.Event()
        start("holder", holder, r, holding)
        start("waiter", waiter, holding)
        while len(tids) < 2:
            time.sleep(0.001)
        wait_in_futex(["waiter"])
        write_truth({"lock_names": {"waiter": "vault_lock"}})
    elif MODE == "idle_pool":
        jobs = queue.Queue()
        event = threading.Event()
        for n in range(4):
            start("pool-%d" % n, pool_worker, n, jobs)
        start("gate", gate, event)
        while len(tids) < 5:
            time.sleep(0.001)
        wait_in_futex(sorted(tids))
        write_truth({})
    elif MODE == "gil_hog":
        for n in range(3):
            start("spinner-%d" % n, spinner, n)
        go = threading.Event()
        start("hog", hog, go)
        while len(tids) < 4:
            time.sleep(0.001)
        write_truth({"waiters": sorted(t for n, t in tids.items() if n != "hog")})
        os.write(READY_FD, b"ready\n")
        # Once the hog is in re.match nothing else gets the GIL: say ready
        # first, then let it go and block in a read (which needs no GIL).
        # The test waits until the hog alone runs and the spinners sleep.
        go.set()
        os.read(r, 1)  # @main_read_hog
        return
    else:
        sys.stderr.write("unknown mode %s\n" % MODE)
        os._exit(64)
    os.write(READY_FD, b"ready\n")
    os.read(r, 1)  # @main_read


main()
