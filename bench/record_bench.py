#!/usr/bin/env python3
"""Sampling profiler benchmark (issue 6): what `corostack record` costs.

Target (bench/targets/py_cpu_target.py): a fixed amount of pure-Python work
on one thread (plus a thread asleep), which times itself. For one
interpreter (pyenv 3.11.*, else /usr/bin/python3.11, else python3) it runs,
interleaved, RUNS times each:
  baseline                  the target alone
  record -r 100 / -r 1000   blocking (default), --nonblocking, --native
                            (`corostack record -f folded -o FILE -- python target`)
and reports, as medians: the target's own elapsed time and its slowdown
against the baseline; corostack's CPU time (user+sys from wait4, less the
CPU time the target reports for itself, as wait4 counts reaped children) as a share
of one core over the recording; CPU per round; the rounds it achieved per
second against the rate asked for (from its progress line). Every recording
is checked to hold samples of the target's unit() function.

Python 3 stdlib only; prints Markdown to stdout, progress to stderr.
"""
import argparse
import glob
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "targets", "py_cpu_target.py")

CONFIGS = [  # (label, rate, extra flags)
    ("blocking 100 Hz", 100, []),
    ("blocking 1000 Hz", 1000, []),
    ("nonblocking 100 Hz", 100, ["--nonblocking"]),
    ("nonblocking 1000 Hz", 1000, ["--nonblocking"]),
    ("--native 100 Hz", 100, ["--native"]),
    ("--native 1000 Hz", 1000, ["--native"]),
]
GOALS = {  # label -> max slowdown %
    "nonblocking 1000 Hz": 1.0,
    "blocking 100 Hz": 5.0,
}
CPU_GOAL_100HZ = 10.0  # % of a core


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def find_python():
    for pattern in ("~/.pyenv/versions/3.11.*/bin/python", "/root/.pyenv/versions/3.11.*/bin/python"):
        found = sorted(glob.glob(os.path.expanduser(pattern)))
        if found:
            return found[-1]
    for p in ("/usr/bin/python3.11", "/usr/bin/python3"):
        if os.path.exists(p):
            return p
    return sys.executable


def run_rusage(argv):
    r_out, w_out = os.pipe()
    r_err, w_err = os.pipe()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.dup2(w_out, 1)
        os.dup2(w_err, 2)
        for fd in (r_out, r_err, w_out, w_err):
            os.close(fd)
        os.execv(argv[0], argv)
    os.close(w_out)
    os.close(w_err)
    out = b""
    err = b""
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(r_out, selectors.EVENT_READ, "out")
    sel.register(r_err, selectors.EVENT_READ, "err")
    open_fds = 2
    while open_fds:
        for key, _ in sel.select():
            data = os.read(key.fd, 65536)
            if not data:
                sel.unregister(key.fd)
                os.close(key.fd)
                open_fds -= 1
            elif key.data == "out":
                out += data
            else:
                err += data
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    return code, out.decode(), err.decode(), wall, ru.ru_utime + ru.ru_stime


def elapsed_of(out):
    m = re.search(r"elapsed ([0-9.]+)", out)
    return float(m.group(1)) if m else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--units", type=int, default=60)
    ap.add_argument("--python", default="",
                    help="the interpreter to run the target (default: pyenv 3.11)")
    ap.add_argument("--threads", type=int, default=0,
                    help="busy threads in the target, each doing --units (default: the main "
                         "thread alone); e.g. 4 on a free-threaded build")
    ap.add_argument("--modes", default="",
                    help="comma-separated mode labels to run (default: all), e.g. "
                         "'nonblocking 1000 Hz' to measure one goal with more runs")
    args = ap.parse_args()
    if args.modes:
        wanted = [m.strip() for m in args.modes.split(",")]
        unknown = [m for m in wanted if m not in [c[0] for c in CONFIGS]]
        if unknown:
            ap.error("unknown mode(s): %s" % ", ".join(unknown))
        CONFIGS[:] = [c for c in CONFIGS if c[0] in wanted]
    corostack = os.path.join(args.build, "src", "corostack")
    python = args.python or find_python()
    version = subprocess.run([python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                             capture_output=True, text=True).stdout.strip()
    tmp = tempfile.mkdtemp(prefix="record_bench.")
    results = {"baseline": []}
    for label, _, _ in CONFIGS:
        results[label] = []
    failed = False
    for run_no in range(args.runs):
        code, out, err, wall, cpu = run_rusage([python, TARGET, str(args.units), str(args.threads)])
        e = elapsed_of(out)
        if code != 0 or e is None:
            log("baseline failed:", err)
            failed = True
        else:
            results["baseline"].append({"elapsed": e})
            log("run %d baseline: %.3f s" % (run_no, e))
        for label, rate, flags in CONFIGS:
            outfile = os.path.join(tmp, "p.txt")
            argv = [corostack, "record", "-r", str(rate), "-f", "folded", "-o", outfile] + flags + \
                ["--", python, TARGET, str(args.units), str(args.threads)]
            code, out, err, wall, cpu = run_rusage(argv)
            e = elapsed_of(out)
            try:
                with open(outfile) as f:
                    text = f.read()
            except OSError:
                text = ""
            m = re.findall(r"([0-9]+) rounds \(", err)
            rounds = int(m[-1]) if m else 0
            if code != 0 or e is None or "unit (" not in text:
                log("%s failed (exit %s):\n%s" % (label, code, err[-2000:]))
                failed = True
                continue
            # wait4 counts the children corostack reaped (the target):
            # take away the CPU time the target reports for itself.
            mc = re.search(r"cpu ([0-9.]+)", out)
            own_cpu = max(cpu - float(mc.group(1)), 0.0) if mc else cpu
            results[label].append({"elapsed": e, "cpu": own_cpu, "wall": wall, "rounds": rounds})
            log("run %d %s: %.3f s, corostack cpu %.3f s, %d rounds" % (run_no, label, e, own_cpu, rounds))

    base = statistics.median(r["elapsed"] for r in results["baseline"]) if results["baseline"] else None
    free = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_config_var('Py_GIL_DISABLED') or 0)"],
                          capture_output=True, text=True).stdout.strip() == "1"
    what = "Python %s%s" % (version, " free-threaded" if free else "")
    if args.threads:
        what += ", %d busy threads" % args.threads
    print("### Sampling profiler: `record` on a CPU-bound target (%s, %d runs, medians)" % (what, args.runs))
    print()
    print("Baseline (no profiler): %s s of work." % ("%.3f" % base if base else "?"))
    print()
    print("| mode | target time s | slowdown | corostack CPU (% of a core) | CPU per round | rounds/s (asked) | goal |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for label, rate, _ in CONFIGS:
        rs = results[label]
        if not rs or not base:
            print("| %s | failed | | | | | |" % label)
            continue
        e = statistics.median(r["elapsed"] for r in rs)
        slow = 100.0 * (e - base) / base
        cpu_share = statistics.median(100.0 * r["cpu"] / r["elapsed"] for r in rs)
        per_round = statistics.median(1e6 * r["cpu"] / r["rounds"] for r in rs if r["rounds"])
        achieved = statistics.median(r["rounds"] / r["elapsed"] for r in rs)
        goal = ""
        if label in GOALS:
            goal = "slowdown <= %g%%: %s" % (GOALS[label], "met" if slow <= GOALS[label] else "NOT met")
        if rate == 100 and not label.startswith("--native"):
            goal += ("; " if goal else "") + "CPU <= %g%%: %s" % (
                CPU_GOAL_100HZ, "met" if cpu_share <= CPU_GOAL_100HZ else "NOT met")
        print("| %s | %.3f | %+.1f%% | %.1f%% | %.0f µs | %.0f (%d) | %s |" % (
            label, e, slow, cpu_share, per_round, achieved, rate, goal))
    print()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
