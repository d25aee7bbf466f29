#!/usr/bin/env python3
"""Benchmark `corostack coro` on a process with many coroutine frames in ~1 GiB.

Starts BUILD/bench/coro_bench_target (bench/coro_bench_target.cpp): N live
suspended C++20 coroutine frames (N/2 chains parent -> child) and filler so
that its writable mappings add up to about M MiB. Then times, R runs each,
`corostack coro -p PID --json` (wall time of the whole command, the scan speed
scan.bytes / scan.ns, the pause as "pause_ns" reports it, the command's peak
RSS), `corostack gcore -p PID -o CORE`, and `corostack coro --core CORE --json`.
Every run must list at least the N frames the target made, else it fails.
The target's writable memory is measured from /proc/PID/maps, not assumed.
The core (about M MiB) goes to a temporary directory ($TMPDIR) and is deleted;
the core part is skipped, loudly, when that file system has < 3 GiB free.

Usage: bench/coro_bench.py [--build DIR] [--runs R] [--frames N] [--mib M]
Defaults: build, 5 runs, 100 000 frames, 1024 MiB. Prints Markdown.
Goal (issue): scan >= 1 GB/s on 1 GiB with 100 000 frames; wall time reported.
Exit status: 0 goal met and every run complete (a core part skipped for disk space
still counts), else 1; 1 also when the build has no `corostack coro`.
"""
import argparse
import json
import os
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

MIN_FREE_FOR_CORE = 3 << 30
GOAL_GBPS = 1.0


def say(msg):
    print(msg, file=sys.stderr, flush=True)


def writable_mappings(pid):
    """(bytes, regions) of the writable mappings in /proc/PID/maps."""
    total = regions = 0
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            fields = line.split()
            if len(fields) < 2 or fields[1][1] != "w":
                continue
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            total += hi - lo
            regions += 1
    return total, regions


def vm_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def proc_state(pid):
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    return stat[stat.rfind(")") + 2:][:1]


class Target:
    """The target in its own session; close() kills its process group."""

    def __init__(self, exe, frames, mib, work):
        self.proc = None
        self.log_path = os.path.join(work, "target.stderr")
        r, w = os.pipe()
        try:
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(
                    [exe, str(w), "--frames", str(frames), "--mib", str(mib)], pass_fds=(w,),
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                    start_new_session=True)
            os.close(w)
            w = -1
            got = b""
            deadline = time.monotonic() + 300
            while b"ready\n" not in got:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([r], [], [], left)[0]:
                    raise RuntimeError("target not ready after 300 s: %s" % self.log())
                chunk = os.read(r, 64)
                if not chunk:
                    raise RuntimeError("target exited before ready (%s): %s" %
                                       (self.proc.poll(), self.log()))
                got += chunk
        finally:
            os.close(r)
            if w >= 0:
                os.close(w)
        self.pid = self.proc.pid
        # "ready" is written just before read(2): wait until it sleeps there.
        deadline = time.monotonic() + 20
        while proc_state(self.pid) != "S":
            if time.monotonic() > deadline:
                raise RuntimeError("target not asleep after ready (state %s)" %
                                   proc_state(self.pid))
            time.sleep(0.005)
        m = re.search(r"(\d+) frames live \((\d+) chains", self.log())
        if not m:
            raise RuntimeError("target did not say how many frames it made: %s" % self.log())
        self.frames, self.chains = int(m.group(1)), int(m.group(2))

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read().strip()

    def close(self):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.proc = None


def run(argv, work):
    """Runs argv; returns (wall s, peak RSS KiB, stdout bytes, stderr str, exit code)."""
    out_path, err_path = os.path.join(work, "run.stdout"), os.path.join(work, "run.stderr")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # e.g. SIGTERM: do not leave the command running
            proc.kill()
            proc.wait()
            raise
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    with open(out_path, "rb") as f:
        stdout = f.read()
    with open(err_path, errors="replace") as f:
        stderr = f.read()
    os.unlink(out_path)
    os.unlink(err_path)
    return wall, usage.ru_maxrss, stdout, stderr, proc.returncode


def tail(err):
    err = err.strip()[:300]
    return ": " + err if err else ""


def run_coro(corostack, target_args, expected, work):
    """One `corostack coro --json` run: a dict of figures, or the reason it failed."""
    wall, rss, out, err, rc = run([corostack, "coro", "--json"] + target_args, work)
    if rc not in (0, 1):
        return "exit %d%s" % (rc, tail(err))
    try:
        doc = json.loads(out)
        scan = doc["scan"]
        frames = len(doc["frames"])
        chains = sum(1 for c in doc.get("chains", []) if len(c) >= 2)
        r = {"wall_ms": wall * 1e3, "rss_mib": rss / 1024.0, "frames": frames, "chains": chains,
             "bytes": scan["bytes"], "scan_ns": scan["ns"], "gbps": scan["bytes"] / scan["ns"],
             "pause_ms": doc.get("pause_ns", 0) / 1e6, "regions": scan.get("regions"),
             "candidates": scan.get("candidates"), "rejected": scan.get("rejected"), "rc": rc}
    except (ValueError, KeyError, TypeError, ZeroDivisionError) as e:
        return "bad JSON (%s: %s)%s" % (type(e).__name__, e, tail(err))
    if frames < expected:
        return "only %d of %d frames (exit %d)%s" % (frames, expected, rc, tail(err))
    if rc == 1:
        say("  note: exit 1 (partial)%s" % tail(err))
    return r


def bench_coro(label, corostack, target_args, expected, runs, work):
    good, failures = [], []
    for i in range(runs):
        r = run_coro(corostack, target_args, expected, work)
        if isinstance(r, str):
            failures.append(r)
            say("  %s run %d: FAILED: %s" % (label, i + 1, r))
        else:
            good.append(r)
            say("  %s run %d: %.0f ms wall, scan %.1f MiB in %.1f ms = %.2f GB/s, %d frames, "
                "pause %.2f ms, RSS %.0f MiB" %
                (label, i + 1, r["wall_ms"], r["bytes"] / 2**20, r["scan_ns"] / 1e6, r["gbps"],
                 r["frames"], r["pause_ms"], r["rss_mib"]))
    return good, failures


def median(rows, key):
    return statistics.median(r[key] for r in rows)


def coro_row(label, good, runs, live):
    if not good:
        return "| %s | 0/%d | | | | | | | | |" % (label, runs)
    pause = "%.2f (%.2f)" % (median(good, "pause_ms"), max(r["pause_ms"] for r in good)) \
        if live else "—"
    ok = "%d/%d" % (len(good), runs)
    return ("| %s | %s | %d | %d | %.1f | %.1f | %.2f (%.2f) | %.0f | %s | %.0f |" %
            (label, ok, median(good, "frames"), median(good, "chains"),
             median(good, "bytes") / 2**20, median(good, "scan_ns") / 1e6,
             median(good, "gbps"), min(r["gbps"] for r in good), median(good, "wall_ms"), pause,
             max(r["rss_mib"] for r in good)))


def has_coro(corostack):
    try:
        p = subprocess.run([corostack, "coro", "--help"], capture_output=True, timeout=30)
    except OSError as e:
        return False, str(e)
    return p.returncode == 0, (p.stderr or p.stdout).decode(errors="replace").strip()[:300]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--frames", type=int, default=100000)
    ap.add_argument("--mib", type=int, default=1024)
    args = ap.parse_args()
    corostack = os.path.abspath(os.path.join(args.build, "src", "corostack"))
    exe = os.path.abspath(os.path.join(args.build, "bench", "coro_bench_target"))
    for path in (corostack, exe):
        if not os.access(path, os.X_OK):
            say("coro_bench: no %s (build it, or pass --build)" % path)
            return 1
    # SIGTERM (e.g. from a CI timeout) unwinds like Ctrl-C, so the target is killed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    load = os.getloadavg()[0]
    work = tempfile.mkdtemp(prefix="corostack-corobench-")
    target = None
    live, core_runs, failures = [], [], []
    gcore = None
    core_skipped = None
    try:
        start = time.perf_counter()
        target = Target(exe, args.frames, args.mib, work)
        ready_s = time.perf_counter() - start
        pid = target.pid
        wbytes, wregions = writable_mappings(pid)
        rss_mib = vm_rss_kib(pid) / 1024.0
        say("target pid %d ready in %.1f s: %s" % (pid, ready_s, target.log()))
        say("target writable mappings (/proc/%d/maps): %.1f MiB in %d regions; VmRSS %.1f MiB" %
            (pid, wbytes / 2**20, wregions, rss_mib))
        if target.frames < args.frames:
            raise RuntimeError("target made %d frames, not %d" % (target.frames, args.frames))

        present, why = has_coro(corostack)
        if not present:
            say("coro_bench: SKIPPED LOUDLY: `%s coro --help` fails: the coro command is "
                "missing (%s)" % (corostack, why))
            print("### `corostack coro`: SKIPPED, `corostack coro` is missing from %s" % corostack)
            print("\nTarget (measured): %d frames, %.1f MiB writable in %d regions, VmRSS %.1f MiB"
                  % (target.frames, wbytes / 2**20, wregions, rss_mib))
            return 1

        good, bad = bench_coro("live", corostack, ["-p", str(pid)], target.frames, args.runs,
                               work)
        live, failures = good, failures + bad

        free = shutil.disk_usage(work).free
        if free < MIN_FREE_FOR_CORE:
            core_skipped = "only %.1f GiB free in %s (< %.0f GiB)" % (
                free / 2**30, os.path.dirname(work), MIN_FREE_FOR_CORE / 2**30)
            say("coro_bench: core part SKIPPED LOUDLY: %s" % core_skipped)
        else:
            core = os.path.join(work, "core")
            wall, rss, _, err, rc = run([corostack, "gcore", "-p", str(pid), "-o", core], work)
            if rc not in (0, 1) or not os.path.exists(core):
                failures.append("gcore: exit %d%s" % (rc, tail(err)))
                say("  gcore FAILED: exit %d%s" % (rc, tail(err)))
            else:
                m = re.search(r"paused ([0-9.]+) ms", err)
                st = os.stat(core)
                gcore = {"wall_ms": wall * 1e3, "rss_mib": rss / 1024.0,
                         "pause_ms": float(m.group(1)) if m else None,
                         "apparent": st.st_size, "on_disk": st.st_blocks * 512}
                say("  gcore: %.0f ms wall, core %.1f MiB (%.1f MiB on disk)%s" %
                    (gcore["wall_ms"], st.st_size / 2**20, gcore["on_disk"] / 2**20,
                     ", pause %.1f ms" % gcore["pause_ms"] if m else ""))
                good, bad = bench_coro("core", corostack, ["--core", core], target.frames,
                                       args.runs, work)
                core_runs, failures = good, failures + bad
                os.unlink(core)
    finally:
        if target is not None:
            target.close()
        shutil.rmtree(work, ignore_errors=True)

    print("### `corostack coro`, %d coroutine frames in %.0f MiB of writable memory "
          "(median of %d runs)\n" % (target.frames, wbytes / 2**20, args.runs))
    print("Target: bench/coro_bench_target (g++ -O2), %d chains parent -> child, filler of "
          "random non-pointer words; writable mappings %.1f MiB in %d regions (/proc/PID/maps), "
          "VmRSS %.1f MiB; %d CPUs, load average %.1f at start.\n" %
          (target.chains, wbytes / 2**20, wregions, rss_mib, os.cpu_count(), load))
    print("| source | runs ok | frames | chains | scanned (MiB) | scan (ms) | "
          "scan GB/s (worst) | wall (ms) | pause ms (max) | peak RSS (MiB) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(coro_row("live `coro -p`", live, args.runs, True))
    if gcore:
        pause = "%.1f" % gcore["pause_ms"] if gcore["pause_ms"] is not None else "—"
        print("| `gcore -p` (core %.0f MiB, %.0f MiB on disk) | 1/1 | | | | | | %.0f | %s | %.0f |"
              % (gcore["apparent"] / 2**20, gcore["on_disk"] / 2**20, gcore["wall_ms"], pause,
               gcore["rss_mib"]))
    if gcore or core_runs:
        print(coro_row("core `coro --core`", core_runs, args.runs, False))
    if core_skipped:
        print("\nCore part SKIPPED: %s." % core_skipped)
    if failures:
        print()
        for f in failures:
            print("- FAILED run: %s" % f)

    speeds = [median(rows, "gbps") for rows in (live, core_runs) if rows]
    ok = bool(live) and not failures and all(s >= GOAL_GBPS for s in speeds)
    print("\nGoal: scan >= 1 GB/s: %s%s (median scan speed %s)" %
          ("met" if ok else "NOT met", "; core part SKIPPED" if core_skipped else "",
           ", ".join("%s %.2f GB/s" % (name, median(rows, "gbps"))
                     for name, rows in (("live", live), ("core", core_runs)) if rows) or "none"))
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:
        say("coro_bench: %s" % e)
        sys.exit(1)
