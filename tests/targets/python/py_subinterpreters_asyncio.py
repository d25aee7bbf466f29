"""Python test target: asyncio loops in two interpreters at once.

Usage: python py_subinterpreters_asyncio.py <ready_fd> <truth_path>

Needs _interpreters (3.13+) or _xxsubinterpreters (3.8-3.12); exits 77
without it. The "mainloop" thread runs a loop of the main interpreter with
tasks main-parent awaiting main-leaf-0..2 (gather); the "subloop" thread
runs, through run_string, a loop of a subinterpreter with sub-parent
awaiting sub-leaf-0..2. Each leaf sleeps an hour. Both loops say when their
tasks exist; the main thread then writes the truth and "ready\\n".

Truth (JSON, written to <truth_path>.tmp then renamed):
  {"pid", "python", "tasks": [{"name", "interpreter", "tid"}]}
"""
import asyncio
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

# Run in each interpreter: PREFIX, SYNC_W and INTERP are set before it.
LOOP = r'''
import asyncio, os
async def leaf():
    await asyncio.sleep(3600)
async def parent():
    leaves = [asyncio.create_task(leaf(), name="%s-leaf-%d" % (PREFIX, i)) for i in range(3)]
    tid = int(os.readlink("/proc/thread-self").rsplit("/", 1)[1])
    os.write(SYNC_W, ("%d %d\n" % (INTERP, tid)).encode())
    await asyncio.gather(*leaves)
async def main():
    await asyncio.create_task(parent(), name=PREFIX + "-parent")
asyncio.run(main())
'''


def main():
    sync_r, sync_w = os.pipe()
    sub = interpreters.create()

    def main_loop():
        exec("PREFIX = 'main'\nSYNC_W = %d\nINTERP = 0\n" % sync_w + LOOP, {})

    def sub_loop():
        interpreters.run_string(
            sub, "PREFIX = 'sub'\nSYNC_W = %d\nINTERP = %d\n" % (sync_w, int(sub)) + LOOP)

    for name, fn in (("mainloop", main_loop), ("subloop", sub_loop)):
        t = threading.Thread(target=fn, name=name)
        t.daemon = True
        t.start()
    lines = []
    buf = b""
    while len(lines) < 2:
        buf += os.read(sync_r, 64)
        *lines, rest = buf.split(b"\n")
        if len(lines) < 2:
            lines = []
    tasks = []
    for line in lines:
        interp, tid = (int(x) for x in line.split())
        prefix = "main" if interp == 0 else "sub"
        for name in [prefix + "-parent"] + ["%s-leaf-%d" % (prefix, i) for i in range(3)]:
            tasks.append({"name": name, "interpreter": interp, "tid": tid})
    truth = {"pid": os.getpid(), "python": "%d.%d.%d" % sys.version_info[:3], "tasks": tasks}
    with open(TRUTH + ".tmp", "w") as f:
        json.dump(truth, f)
    os.rename(TRUTH + ".tmp", TRUTH)
    os.write(READY_FD, b"ready\n")
    os.read(sync_r, 1)


if __name__ == "__main__":
    main()
