#!/usr/bin/env python3
"""Benchmark `corostack tasks` on a process with many suspended asyncio tasks.

Starts tests/targets/python/py_asyncio.py --many N (N sleeping tasks plus the
target's ~35 others) under each interpreter given, then times
`corostack tasks -p PID --json` (wall time of the whole command, and the
target's pause as the command reports it in "pause_ns") and
`corostack tasks --core CORE --json` on a corostack gcore of it. Every run's
output must list all the target's tasks, else the run counts as a failure.

Usage: bench/asyncio_tasks_bench.py [--build DIR] [--tasks N] [--runs R] [PYTHON...]
Defaults: build, 10000 tasks, 15 runs, pyenv 3.11 and 3.12. Prints Markdown.
Goal (issue 4): <= 200 ms wall and <= 20 ms pause for 10 000 tasks.
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "tests", "targets", "python", "py_asyncio.py")


def default_pythons():
    found = []
    for minor in ("3.11", "3.12"):
        hits = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/%s.*/bin/python" % minor)))
        if hits:
            found.append(hits[-1])
        else:
            print("SKIPPED LOUDLY: no pyenv %s" % minor, file=sys.stderr)
    return found


def start_target(python, tasks, tmp):
    truth = os.path.join(tmp, "truth")
    r, w = os.pipe()
    proc = subprocess.Popen([python, SCRIPT, str(w), truth, "--many", str(tasks)],
                            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    os.close(w)
    ready = b""
    deadline = time.time() + 120
    while b"ready" not in ready and time.time() < deadline:
        chunk = os.read(r, 64)
        if not chunk:
            break
        ready += chunk
    os.close(r)
    if b"ready" not in ready:
        proc.kill()
        raise RuntimeError("target not ready: %s" % proc.stderr.read().decode(errors="replace"))
    with open(truth) as f:
        return proc, json.load(f)


def run_tasks(corostack, target_args, expected):
    start = time.perf_counter()
    out = subprocess.run([corostack, "tasks", "--json"] + target_args, capture_output=True,
                         timeout=120)
    wall = (time.perf_counter() - start) * 1000
    doc = json.loads(out.stdout)
    names = {t["name"] for t in doc["tasks"]}
    if out.returncode != 0 or not expected <= names:
        raise RuntimeError("incomplete output (rc %d, %d of %d tasks): %s" %
                           (out.returncode, len(expected & names), len(expected),
                            out.stderr.decode(errors="replace")[:500]))
    return wall, doc["pause_ns"] / 1e6, len(doc["tasks"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--tasks", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("pythons", nargs="*")
    args = ap.parse_args()
    corostack = os.path.join(args.build, "src", "corostack")
    pythons = args.pythons or default_pythons()
    print("### `corostack tasks`, %d sleeping tasks (median of %d runs)\n" % (args.tasks, args.runs))
    print("| Python | tasks listed | live wall (ms) | live pause (ms, max) | core wall (ms) |")
    print("|---|---|---|---|---|")
    ok = True
    for python in pythons:
        version = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"],
                                 capture_output=True, text=True).stdout.strip()
        with tempfile.TemporaryDirectory() as tmp:
            proc, truth = start_target(python, args.tasks, tmp)
            try:
                expected = {t["name"] for t in truth["tasks"]}
                live = [run_tasks(corostack, ["-p", str(proc.pid)], expected)
                        for _ in range(args.runs)]
                core = os.path.join(tmp, "core")
                subprocess.run([corostack, "gcore", "-p", str(proc.pid), "-o", core], check=True,
                               capture_output=True)
                cores = [run_tasks(corostack, ["--core", core], expected)
                         for _ in range(max(3, args.runs // 3))]
            finally:
                os.killpg(proc.pid, 9)
                proc.wait()
        wall = statistics.median(r[0] for r in live)
        pause = statistics.median(r[1] for r in live)
        worst = max(r[1] for r in live)
        core_wall = statistics.median(r[0] for r in cores)
        ok &= wall <= 200 and pause <= 20
        print("| %s | %d | %.1f | %.2f (%.2f) | %.1f |" %
              (version, live[0][2], wall, pause, worst, core_wall))
    print("\nGoal: <= 200 ms wall, <= 20 ms pause: %s" % ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
