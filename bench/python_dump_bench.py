#!/usr/bin/env python3
"""Python dump benchmark (issue 3): corostack on a CPython target.

Reference target (bench/targets/py_bench_target.py): 10 threads, each 5
Python calls deep, blocked in time.sleep. For every interpreter found among
~/.pyenv/versions/3.11.* and 3.12.* (and /usr/bin/python3.11 if present),
starts the target, waits for its ready line and then for every thread to be
in state S, and times on that same process:
  corostack dump -p PID              (Python only; the goal's command)
  corostack dump --no-lines -p PID   (where the time goes: without DWARF)
  corostack dump --native -p PID     (native + Python merged)
  corostack gcore -p PID             (once, for the core)
  corostack dump --core FILE         (Python only, from the core)
  gdb -batch -p PID 'thread apply all bt' (a few runs, for comparison)
Wall time: median and p90 of N runs. Peak RSS: max ru_maxrss (os.wait4) over
the runs. Pause: median of what corostack reports in its text header
("paused X ms"; gcore: stderr). Every output is checked to hold the 10
threads' level1..level5 frames, so a fast but empty dump does not pass.

Python 3 stdlib only; prints Markdown to stdout, progress to stderr.
"""
import argparse
import glob
import os
import re
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET_SCRIPT = os.path.join(HERE, "targets", "py_bench_target.py")

args_rss_runs = 3  # set from --rss-runs

GOALS = {  # name -> (wall ms, RSS MiB) limits; None = no goal
    "dump": (10.0, 20.0),
    "native": (50.0, None),
    "core": (25.0, None),
}
PAUSE_GOAL_MS = 2.0


def run_rusage(argv, env=None):
    """fork/exec; returns (wall s, ru_maxrss KiB, stdout, stderr, exit code)."""
    r, w = os.pipe()
    re_, we = os.pipe()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(w, 1)
            os.dup2(we, 2)
            os.close(r)
            os.close(re_)
            if env is not None:
                os.execvpe(argv[0], argv, env)
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    os.close(w)
    os.close(we)
    out, err = [], []
    sel = selectors.DefaultSelector()
    sel.register(r, selectors.EVENT_READ, out)
    sel.register(re_, selectors.EVENT_READ, err)
    open_fds = 2
    while open_fds:
        for key, _ in sel.select():
            chunk = os.read(key.fd, 65536)
            if not chunk:
                sel.unregister(key.fd)
                os.close(key.fd)
                open_fds -= 1
            else:
                key.data.append(chunk)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    run_rusage.last_cpu = ru.ru_utime + ru.ru_stime
    return (wall, ru.ru_maxrss, b"".join(out).decode(errors="replace"),
            b"".join(err).decode(errors="replace"), os.waitstatus_to_exitcode(status))


_subreaper = False


def peak_rss_kib(argv):
    """Peak RSS of argv alone, in KiB.

    A child forked from this script starts with a copy of the script's page
    tables, and the kernel carries that copy's high-water mark across exec
    into ru_maxrss: every command would measure at least this interpreter's
    ~10-12 MiB. So /bin/sh (a ~1 MiB process) starts argv in the
    background and exits; this script, a child subreaper, inherits the orphan
    and reaps it with wait4, whose ru_maxrss is then argv's own.
    """
    global _subreaper
    if not _subreaper:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
            raise OSError(ctypes.get_errno(), "PR_SET_CHILD_SUBREAPER")
        _subreaper = True
    r, w = os.pipe()          # sh -> us: the background pid
    go_r, go_w = os.pipe()    # us -> background child: sh has exited, go
    # The background child waits for EOF on fd 4 so that it cannot finish (and
    # be reaped by sh) before sh has exited and left it to us.
    script = ('( read _ <&4; exec "$@" </dev/null >/dev/null 2>&1 4<&- ) 3>&- & '
              'echo $! >&3')
    sh = os.fork()
    if sh == 0:
        try:
            os.dup2(w, 3)
            os.dup2(go_r, 4)
            os.closerange(5, 1024)
            os.execv("/bin/sh", ["/bin/sh", "-c", script, "sh"] + argv)
        finally:
            os._exit(127)
    os.close(w)
    os.close(go_r)
    with os.fdopen(r) as f:
        pid = int(f.read().strip())
    os.waitpid(sh, 0)
    os.close(go_w)
    _, _, ru = os.wait4(pid, 0)
    return ru.ru_maxrss


def task_states(pid):
    states = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                stat = f.read()
        except FileNotFoundError:
            continue
        states[tid] = stat[stat.rindex(")") + 2]
    return states


class Target:
    """The target in its own process group; close() kills that group."""

    def __init__(self, python, threads, timeout=30.0):
        self.pid = None
        r, w = os.pipe()
        try:
            self.proc = subprocess.Popen([python, TARGET_SCRIPT, str(w), "--threads", str(threads)],
                                         pass_fds=(w,), start_new_session=True,
                                         stdin=subprocess.DEVNULL)
        finally:
            os.close(w)
        self.pid = self.proc.pid
        try:
            with os.fdopen(r) as f:
                line = f.readline().split()
            if line[:1] != ["ready"] or int(line[1]) != self.pid:
                raise RuntimeError("target %s did not become ready (%r)" % (python, line))
            # All threads (main + workers) blocked: state S, stable over a few samples.
            deadline = time.monotonic() + timeout
            stable = 0
            while stable < 5:
                states = task_states(self.pid)
                ok = len(states) == threads + 1 and all(s == "S" for s in states.values())
                stable = stable + 1 if ok else 0
                if time.monotonic() > deadline:
                    raise RuntimeError("target threads not all in state S: %r" % states)
                time.sleep(0.01)
            self.threads = len(states)
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.pid is None:
            return
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.pid = None


def percentile(values, p):
    s = sorted(values)
    k = (len(s) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def check_python_frames(threads):
    """A checker: the output names level1..level5 once per worker thread."""
    def check(out, err):
        for name in ("level1", "level2", "level3", "level4", "level5"):
            n = len(re.findall(r"\b%s\b" % name, out))
            if n < threads:
                return "%s appears %d times, expected >= %d" % (name, n, threads)
        return None
    return check


def text_pause(out, err):
    m = re.search(r"paused ([0-9.]+) ms", out) or re.search(r"paused ([0-9.]+) ms", err)
    return float(m.group(1)) if m else None


def bench(name, argv, runs, check=None, pause_from=None):
    walls, cpus, pauses, problems = [], [], [], []
    for _ in range(runs):
        wall, maxrss, out, err, rc = run_rusage(argv)
        cpus.append(run_rusage.last_cpu * 1e3)
        if rc != 0:
            problems.append("exit %d: %s" % (rc, err.strip()[:300]))
        if check:
            p = check(out, err)
            if p:
                problems.append(p)
        walls.append(wall * 1e3)
        if pause_from:
            p = pause_from(out, err)
            if p is not None:
                pauses.append(p)
    # Peak RSS from separate runs, free of this script's own footprint.
    rss = [peak_rss_kib(argv) / 1024.0 for _ in range(args_rss_runs)]
    row = {"what": name, "runs": runs, "median_ms": statistics.median(walls),
           "p90_ms": percentile(walls, 90), "min_ms": min(walls),
           "cpu_ms": statistics.median(cpus), "rss_mib": max(rss),
           "pause_ms": statistics.median(pauses) if pauses else None,
           "pause_max_ms": max(pauses) if pauses else None, "pauses": pauses,
           "problems": sorted(set(problems))}
    msg = "  %s: median %.1f ms, p90 %.1f ms, cpu %.1f ms, %.1f MiB" % (
        name, row["median_ms"], row["p90_ms"], row["cpu_ms"], row["rss_mib"])
    if row["pause_ms"] is not None:
        msg += ", pause %.3f ms (max %.3f)" % (row["pause_ms"], row["pause_max_ms"])
    for p in row["problems"]:
        msg += "\n    PROBLEM: " + p
    print(msg, file=sys.stderr)
    return row


def find_interpreters(extra):
    found = []
    home = os.path.expanduser("~/.pyenv/versions")
    for minor in ("3.11", "3.12"):
        for d in sorted(glob.glob(os.path.join(home, minor + ".*"))):
            exe = os.path.join(d, "bin", "python" + minor)
            if os.access(exe, os.X_OK):
                found.append((os.path.basename(d) + " (pyenv)", exe))
    for exe in extra:
        if os.access(exe, os.X_OK):
            found.append((exe, exe))
    return found


def python_version(exe):
    return subprocess.check_output([exe, "-c", "import platform; print(platform.python_version())"],
                                   universal_newlines=True).strip()


def bench_interpreter(label, exe, corostack, args, work):
    print("%s: %s" % (label, exe), file=sys.stderr)
    rows = []
    target = Target(exe, args.threads)
    try:
        pid = str(target.pid)
        print("  target pid %s: %d threads" % (pid, target.threads), file=sys.stderr)
        check = check_python_frames(args.threads)
        rows.append((None, bench("/bin/true (fork + exec floor)", ["/bin/true"], args.runs)))
        # The floor: starting the binary (dynamic loading of libdw, libelf, ...).
        rows.append((None, bench("corostack --version (process start only)",
                                 [corostack, "--version"], args.runs)))
        rows.append(("dump", bench("corostack dump -p", [corostack, "dump", "-p", pid], args.runs,
                                   check, text_pause)))
        rows.append((None, bench("corostack dump --no-lines -p",
                                 [corostack, "dump", "--no-lines", "-p", pid], args.runs, check,
                                 text_pause)))
        rows.append(("native", bench("corostack dump --native -p",
                                     [corostack, "dump", "--native", "-p", pid], args.runs, check,
                                     text_pause)))
        rows.append((None, bench("corostack dump --native --no-lines -p",
                                 [corostack, "dump", "--native", "--no-lines", "-p", pid],
                                 args.runs, check, text_pause)))
        # The usual production machine has no distro debug packages (libc6-dbg):
        # hide /usr/lib/debug in a private mount namespace (root only).
        if os.geteuid() == 0 and shutil.which("unshare") and os.path.isdir("/usr/lib/debug"):
            hide = ["unshare", "-m", "sh", "-c",
                    'mount -t tmpfs none /usr/lib/debug && exec "$@"', "sh"]
            rows.append((None, bench("corostack dump --native -p (no /usr/lib/debug)",
                                     hide + [corostack, "dump", "--native", "-p", pid], args.runs,
                                     check, text_pause)))
        core = os.path.join(work, "py-%s.core" % pid)
        rows.append((None, bench("corostack gcore -p", [corostack, "gcore", "-p", pid, "-o", core],
                                 1, None, text_pause)))
        rows.append(("core", bench("corostack dump --core", [corostack, "dump", "--core", core],
                                   args.runs, check)))
        rows.append((None, bench("corostack dump --native --core",
                                 [corostack, "dump", "--native", "--core", core], args.runs,
                                 check)))
        if args.gdb_runs and shutil.which("gdb"):
            rows.append((None, bench("gdb -batch thread apply all bt (live, native only)",
                                     ["gdb", "-batch", "-nx", "-p", pid, "-ex",
                                      "thread apply all bt"], args.gdb_runs)))
        try:
            os.unlink(core)
        except OSError:
            pass
    finally:
        target.close()
    return target.threads, rows


def verdict(ok):
    return "met" if ok else "**unmet**"


def print_report(results, args, load):
    print("Load average (1 min) before/after: %.2f / %.2f (on %d CPUs)."
          % (load, os.getloadavg()[0], os.cpu_count()))
    print("Target: bench/targets/py_bench_target.py, %d threads each 5 Python calls deep in "
          "time.sleep (+ main thread); %d CPUs, kernel %s; wall median/p90 of %d runs "
          "(gcore once, gdb %d)." % (args.threads, os.cpu_count(), os.uname().release, args.runs,
                                     args.gdb_runs))
    for label, version, nthreads, rows in results:
        print()
        print("### Python %s — %s (%d OS threads)" % (version, label, nthreads))
        print()
        print("| command | wall median (ms) | wall p90 (ms) | CPU user+sys median (ms) "
              "| peak RSS (MiB) | target pause median (ms) |")
        print("|---|---:|---:|---:|---:|---:|")
        for _, r in rows:
            pause = "%.2f" % r["pause_ms"] if r["pause_ms"] is not None else "—"
            if r["runs"] == 1:
                p90 = "—"
            else:
                p90 = "%.1f" % r["p90_ms"]
            print("| %s | %.1f | %s | %.1f | %.1f | %s |" % (r["what"], r["median_ms"], p90,
                                                            r["cpu_ms"], r["rss_mib"], pause))
        print()
        print("| goal | result | |")
        print("|---|---|---|")
        by = {k: r for k, r in rows if k}
        d = by["dump"]
        print("| Python-only live dump ≤ 10 ms wall | median %.1f ms, p90 %.1f ms | %s |"
              % (d["median_ms"], d["p90_ms"], verdict(d["median_ms"] <= 10.0)))
        print("| Python-only live dump ≤ 20 MiB RSS | %.1f MiB | %s |"
              % (d["rss_mib"], verdict(d["rss_mib"] <= 20.0)))
        # Every pause measured in the live dump runs (Python-only, --no-lines, --native).
        pauses = [p for _, r in rows if "dump" in r["what"] for p in r["pauses"]]
        if pauses:
            med, p90, worst = statistics.median(pauses), percentile(pauses, 90), max(pauses)
            print("| pause ≤ 2 ms | median %.2f ms, p90 %.2f ms, worst %.2f ms (%d live dumps) "
                  "| median %s, p90 %s, worst %s |"
                  % (med, p90, worst, len(pauses), verdict(med <= PAUSE_GOAL_MS),
                     verdict(p90 <= PAUSE_GOAL_MS), verdict(worst <= PAUSE_GOAL_MS)))
        n = by["native"]
        print("| `--native` ≤ 50 ms | median %.1f ms, p90 %.1f ms | %s |"
              % (n["median_ms"], n["p90_ms"], verdict(n["median_ms"] <= 50.0)))
        c = by["core"]
        print("| `--core` ≤ 25 ms | median %.1f ms, p90 %.1f ms | %s |"
              % (c["median_ms"], c["p90_ms"], verdict(c["median_ms"] <= 25.0)))
        problems = [(r["what"], p) for _, r in rows for p in r["problems"]]
        for what, p in problems:
            print("\n- problem in `%s`: %s" % (what, p))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("COROSTACK_BUILD", "build"),
                    help="build directory holding src/corostack (default: $COROSTACK_BUILD or build)")
    ap.add_argument("--corostack", default=os.environ.get("COROSTACK"),
                    help="corostack binary (overrides --build; default: $COROSTACK)")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--gdb-runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=10)
    ap.add_argument("--python", action="append", default=None,
                    help="extra interpreter(s) to measure (default: /usr/bin/python3.11 if present)")
    ap.add_argument("--rss-runs", type=int, default=3,
                    help="separate runs per command for peak RSS (default 3)")
    args = ap.parse_args()
    global args_rss_runs
    args_rss_runs = max(1, args.rss_runs)
    corostack = os.path.abspath(args.corostack or os.path.join(args.build, "src", "corostack"))
    if not os.access(corostack, os.X_OK):
        raise SystemExit("no corostack binary at %s (build it, or pass --build/--corostack)"
                         % corostack)
    extra = args.python if args.python is not None else ["/usr/bin/python3.11"]
    interpreters = find_interpreters(extra)
    if not interpreters:
        print("python_dump_bench: no CPython 3.11/3.12 found (~/.pyenv/versions); skipped",
              file=sys.stderr)
        return
    print("corostack: %s" % corostack, file=sys.stderr)
    work = tempfile.mkdtemp(prefix="corostack-pybench-")
    results = []
    load = os.getloadavg()[0]
    try:
        for label, exe in interpreters:
            nthreads, rows = bench_interpreter(label, exe, corostack, args, work)
            results.append((label, python_version(exe), nthreads, rows))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_report(results, args, load)


if __name__ == "__main__":
    main()
