"""Python test target: frames of several interpreters on one OS thread.

Usage: python py_subinterpreters.py <ready_fd> <truth_path>

Needs _interpreters (3.13+) or _xxsubinterpreters (3.8-3.12); exits 77
without it. Threads:
  main    main_level() in the main interpreter runs a script in
          subinterpreter A (run_string), whose sub_a_level() runs a script
          in subinterpreter B, whose leaf_level() blocks in os.read() of a
          pipe nobody writes: three interpreters' frames on one thread,
          B's innermost.
  worker  worker_level() in the main interpreter (a threading.Thread) runs
          a script in subinterpreter C whose leaf_level() blocks the same
          way.
Each level records its own frames (sys._getframe() walking f_back sees only
its interpreter's frames) before it calls the next, with its current line
set to the line of that call, into <truth_path>.<thread>.<depth>. When both
leaves have said they are about to block, a "watcher" thread waits until
the main thread sleeps, assembles the truth, writes "ready\\n" to
<ready_fd> and blocks too.

Truth (JSON, written to <truth_path>.tmp then renamed):
  {"pid", "python": "3.13.0",
   "threads": [{"name", "tid", "ident",
                "frames": [{"func", "file", "line", "interpreter"}]}]}
frames innermost first across all interpreters of the thread.
"""
import json
import os
import sys
import threading

try:
    import _interpreters as interpreters
except ImportError:
    try:
        import _xxsubinterpreters as interpreters
    except ImportError:
        sys.stderr.write("no subinterpreter module in this Python\n")
        sys.exit(77)

READY_FD = int(sys.argv[1])
TRUTH = os.path.abspath(sys.argv[2])
SCRIPT = os.path.abspath(__file__)

# Code every level runs in its own interpreter: record this interpreter's
# frames, the innermost at the line of the call it is about to make.
RECORD = r'''
import json, os, sys
def _interp_id():
    try:
        import _interpreters as m
    except ImportError:
        import _xxsubinterpreters as m
    cur = m.get_current()
    return int(cur[0] if isinstance(cur, tuple) else cur)
def record(path, call_line):
    frames = []
    f = sys._getframe(1)
    first = True
    while f is not None:
        frames.append({"func": f.f_code.co_name, "file": f.f_code.co_filename,
                       "line": call_line if first else f.f_lineno,
                       "interpreter": _interp_id()})
        first = False
        f = f.f_back
    with open(path + ".tmp", "w") as out:
        json.dump({"tid": _tid(), "ident": _ident(), "frames": frames}, out)
    os.rename(path + ".tmp", path)
def _tid():
    return int(os.readlink("/proc/thread-self").rsplit("/", 1)[1])
def _ident():
    import _thread
    return _thread.get_ident()
'''

# The leaf: block in read() of a pipe nobody writes, after saying so.
LEAF = RECORD + r'''
def leaf_level():
    record(LEAF_PATH, sys._getframe().f_lineno + 2)
    os.write(SYNC_W, b"x")
    os.read(BLOCK_R, 1)
leaf_level()
'''

# The middle level of the main thread: run the leaf in subinterpreter B.
MIDDLE = RECORD + r'''
try:
    import _interpreters as _m
except ImportError:
    import _xxsubinterpreters as _m
def sub_a_level():
    record(TRUTH_PREFIX + ".1", sys._getframe().f_lineno + 1)
    _m.run_string(INNER_ID, INNER_SCRIPT)
sub_a_level()
'''


def leaf_script(path, sync_w, block_r):
    return "LEAF_PATH = %r\nSYNC_W = %d\nBLOCK_R = %d\n" % (path, sync_w, block_r) + LEAF


def interp_id(handle):
    return int(handle)


def record_here(path, call_line, interpreter):
    frames = []
    f = sys._getframe(1)
    first = True
    while f is not None:
        frames.append({"func": f.f_code.co_name, "file": f.f_code.co_filename,
                       "line": call_line if first else f.f_lineno,
                       "interpreter": interpreter})
        first = False
        f = f.f_back
    with open(path, "w") as out:
        json.dump({"tid": threading.get_native_id(), "ident": threading.get_ident(),
                   "frames": frames}, out)


def worker_level(sub_c, script):
    record_here(TRUTH + ".worker.0", sys._getframe().f_lineno + 1, 0)
    interpreters.run_string(sub_c, script)


def main_level(sub_a, script):
    record_here(TRUTH + ".main.0", sys._getframe().f_lineno + 1, 0)
    interpreters.run_string(sub_a, script)


def main():
    sync_r, sync_w = os.pipe()
    block_r, block_w = os.pipe()
    sub_a, sub_b, sub_c = interpreters.create(), interpreters.create(), interpreters.create()

    worker = threading.Thread(target=worker_level, name="worker",
                              args=(sub_c, leaf_script(TRUTH + ".worker.1", sync_w, block_r)))
    worker.daemon = True
    worker.start()
    os.read(sync_r, 1)

    # The main thread's leaf blocks: a watcher thread waits for its sync
    # byte and for the main thread to sleep, writes the truth, then blocks.
    def watcher():
        os.read(sync_r, 1)
        main_tid = threading.main_thread().native_id
        import time
        for _ in range(2000):
            with open("/proc/self/task/%d/stat" % main_tid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "S":
                    break
            time.sleep(0.005)
        threads = []
        for name, depth in (("main", 3), ("worker", 2)):
            frames, tid, ident = [], 0, 0
            for level in reversed(range(depth)):
                with open("%s.%s.%d" % (TRUTH, name, level)) as f:
                    part = json.load(f)
                frames.extend(part["frames"])
                tid, ident = part["tid"], part["ident"]
            threads.append({"name": name, "tid": tid, "ident": ident, "frames": frames})
        truth = {"pid": os.getpid(), "python": "%d.%d.%d" % sys.version_info[:3],
                 "threads": threads}
        with open(TRUTH + ".tmp", "w") as f:
            json.dump(truth, f)
        os.rename(TRUTH + ".tmp", TRUTH)
        os.write(READY_FD, b"ready\n")
        os.read(block_r, 1)

    w = threading.Thread(target=watcher, name="watcher")
    w.start()

    middle = ("TRUTH_PREFIX = %r\nINNER_ID = %d\nINNER_SCRIPT = %r\n" %
              (TRUTH + ".main", interp_id(sub_b),
               leaf_script(TRUTH + ".main.2", sync_w, block_r))) + MIDDLE
    main_level(sub_a, middle)


if __name__ == "__main__":
    main()
