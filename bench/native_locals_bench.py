#!/usr/bin/env python3
"""Native variables benchmark: corostack dump --native --locals vs gdb's
`thread apply all bt full`, on the same process in the same run.

Target: tests/targets/native_locals (g++ -O2 build), six threads whose own
frames hold ints, strings, structs and libstdc++ containers, blocked in
system calls. Also times `dump --native` without variables, to show what the
variables cost, and both tools on a core corostack wrote. Wall time is the
median of N runs; peak RSS the max. Prints a Markdown table.
"""
import argparse, os, shutil, signal, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
from native_dump_bench import run_rusage  # noqa: E402  (fork/exec with wait4)


def bench(name, argv, runs, rows):
    walls, rss = [], []
    for _ in range(runs):
        wall, maxrss, _out, err, rc = run_rusage(argv)
        if rc not in (0, 1):
            print(f"  {name}: exit {rc}: {err.strip()[:300]}", file=sys.stderr)
        walls.append(wall)
        rss.append(maxrss)
    row = {"what": name, "wall_ms": statistics.median(walls) * 1e3, "rss_mib": max(rss) / 1024.0, "runs": runs}
    rows.append(row)
    print(f"  {name}: {row['wall_ms']:.1f} ms, {row['rss_mib']:.1f} MiB", file=sys.stderr)
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--gdb-runs", type=int, default=3)
    args = ap.parse_args()
    exe = os.path.join(args.build, "tests", "targets", "native_locals_gcc_O2")
    cs = os.path.join(args.build, "src", "corostack")
    if not os.path.exists(exe):
        raise SystemExit(f"{exe} missing: build the tests first (make test builds it)")
    work = tempfile.mkdtemp(prefix="corostack-locals-bench-")
    r, w = os.pipe()
    proc = subprocess.Popen([exe, str(w), os.path.join(work, "truth")], pass_fds=(w,),
                            start_new_session=True, stdout=subprocess.DEVNULL)
    os.close(w)
    rows = []
    try:
        with os.fdopen(r) as f:
            if f.readline().strip() != "ready":
                raise SystemExit("target did not become ready")
        time.sleep(0.2)  # every thread settles into its system call
        pid = str(proc.pid)
        gdb = ["gdb", "-batch", "-nx", "-iex", "set debuginfod enabled off"]
        bench("corostack dump --native (live)", [cs, "dump", "-p", pid, "--native"], args.runs, rows)
        ours = bench("corostack dump --native --locals (live)",
                     [cs, "dump", "-p", pid, "--native", "--locals"], args.runs, rows)
        theirs = bench("gdb thread apply all bt full (live)",
                       gdb + ["-p", pid, "-ex", "thread apply all bt full"], args.gdb_runs, rows)
        core = os.path.join(work, "core")
        subprocess.run([cs, "gcore", "-p", pid, "-o", core], check=True, stdout=subprocess.DEVNULL)
        ours_core = bench("corostack dump --core --native --locals",
                          [cs, "dump", "--core", core, "--exe", exe, "--native", "--locals"], args.runs, rows)
        theirs_core = bench("gdb thread apply all bt full (core)",
                            gdb + [exe, core, "-ex", "thread apply all bt full"], args.gdb_runs, rows)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    print("| what | wall (median) | peak RSS | runs |")
    print("|---|---:|---:|---:|")
    for row in rows:
        print(f"| {row['what']} | {row['wall_ms']:.1f} ms | {row['rss_mib']:.1f} MiB | {row['runs']} |")
    print()
    print(f"corostack / gdb, live: {ours['wall_ms'] / theirs['wall_ms']:.2f} "
          f"(1/{theirs['wall_ms'] / ours['wall_ms']:.1f}); core: "
          f"{ours_core['wall_ms'] / theirs_core['wall_ms']:.2f} "
          f"(1/{theirs_core['wall_ms'] / ours_core['wall_ms']:.1f})")


if __name__ == "__main__":
    main()
