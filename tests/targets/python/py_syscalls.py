"""Python test target for `corostack trace`: a known sequence of system
calls, each made from a known line, after the test says go.

Usage: python py_syscalls.py <ready_fd> <truth_path> <go_path> [<linger_path>]

Runs unchanged on CPython 2.7 and 3.6+.

Writes "ready" to <ready_fd>, then waits for <go_path> to exist, looking
every millisecond (stat and a sleep, calls the tests do not trace): the test
attaches its tracer first, then creates the file. Waiting in a call the
tests trace would race with the attach, which interrupts and restarts the
call a thread is in unless it is just returning. Then,
on the main thread unless said otherwise, each on its own line:
  getppid x3, openat of a missing file (ENOENT), write + read on a pipe,
  send + recv on a socketpair, kill(self, SIGUSR1) (handled), a "worker"
  thread's write on the pipe (joined), then exit status 3.
With <linger_path>, it waits for that file to exist (at most 60 s) after
writing the truth and before exiting: a tracer that reads the process after
the fact (trace --py in the kernel reads code objects as records arrive)
is given the time to, and the test says when it has.

Truth (JSON, written to <truth_path>.tmp then renamed before the exit):
  {"pid", "python", "main_tid", "worker_tid",
   "calls": [{"syscall", "line", "function", "tid", "args"?: {...}}, ...]}
The line is where the Python call that makes the system call is.
"""
import json
import os
import signal
import socket
import sys
import threading
import time

READY_FD = int(sys.argv[1])
TRUTH = os.path.abspath(sys.argv[2])
GO = sys.argv[3]
LINGER = sys.argv[4] if len(sys.argv) > 4 else None
MISSING = "/nonexistent-corostack/" + "missing.txt"
calls = []


def native_tid():
    return int(os.readlink("/proc/thread-self").rsplit("/", 1)[1])


def line_of_caller():
    return sys._getframe(1).f_lineno


def record(syscall, line, function, **args):
    calls.append({"syscall": syscall, "line": line, "function": function,
                  "tid": native_tid(), "args": args})


def on_usr1(signum, frame):
    pass


def worker_body(fd, out):
    out["tid"] = native_tid()
    os.write(fd, b"from worker\n"); record("write", line_of_caller(), "worker_body", fd=fd)


def sequence():
    for _ in range(3):
        os.getppid(); record("getppid", line_of_caller(), "sequence")
    try:
        open(MISSING); record("openat", -1, "sequence")
    except (IOError, OSError):
        record("openat", line_of_caller() - 2, "sequence", path=MISSING, error="ENOENT")
    r, w = os.pipe()
    os.write(w, b"hello tracer\n"); record("write", line_of_caller(), "sequence", fd=w)
    os.read(r, 64); record("read", line_of_caller(), "sequence", fd=r)
    a, b = socket.socketpair()
    a.send(b"ping over socket"); record("sendto", line_of_caller(), "sequence", fd=a.fileno())
    b.recv(64); record("recvfrom", line_of_caller(), "sequence", fd=b.fileno())
    os.kill(os.getpid(), signal.SIGUSR1); record("kill", line_of_caller(), "sequence")
    out = {}
    t = threading.Thread(target=worker_body, args=(w, out), name="worker")
    t.start()
    t.join()
    # join() returns once the thread state is gone, a moment before the OS
    # thread exits: wait for that too, or the _exit(3) below may kill it first
    # and its "+++ exited with 0 +++" become "exited with 3" (stat calls only,
    # which the tests do not trace).
    tid = out.get("tid", 0)
    deadline = time.time() + 5
    while tid and os.path.exists("/proc/self/task/%d" % tid) and time.time() < deadline:
        time.sleep(0.001)
    return tid


def main():
    signal.signal(signal.SIGUSR1, on_usr1)
    # A first thread loads what thread exit needs (libgcc_s) now, not at the
    # worker's exit, where it would race with the main thread's calls.
    warm = threading.Thread(target=native_tid)
    warm.start()
    warm.join()
    os.write(READY_FD, b"ready\n")
    while not os.path.exists(GO):
        time.sleep(0.001)
    worker_tid = sequence()
    truth = {"pid": os.getpid(), "python": "%d.%d.%d" % sys.version_info[:3],
             "main_tid": native_tid(), "worker_tid": worker_tid, "calls": calls}
    with open(TRUTH + ".tmp", "w") as f:
        json.dump(truth, f)
    os.rename(TRUTH + ".tmp", TRUTH)
    sys.stdout.flush()
    deadline = time.time() + 60
    while LINGER and not os.path.exists(LINGER) and time.time() < deadline:
        time.sleep(0.001)
    os._exit(3)


main()
