#!/usr/bin/env python3
"""Native dump benchmark: corostack vs eu-stack vs gdb on one 50-thread target.

Starts native_threads_O2 with enough extra threads for 50 in all, each extra
thread 20 calls deep, then times, in the same run and on the same process:
  corostack dump -p, eu-stack -p, gdb -batch 'thread apply all bt'   (live)
  corostack gcore -p, gdb gcore                                      (core writing)
  corostack dump --core, eu-stack --core, gdb on the core            (core reading)
Wall time is the median of N runs; peak RSS is the max; pause time is what
corostack reports (--json pause_ns, gcore's stderr).
"""
import argparse, json, os, re, resource, shutil, signal, statistics, subprocess, sys, tempfile, time




def run_rusage(argv):
    """fork/exec with os.wait4 to get the child's own peak RSS."""
    r, w = os.pipe()
    re_, we = os.pipe()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.dup2(w, 1)
        os.dup2(we, 2)
        os.close(r); os.close(re_)
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    os.close(w); os.close(we)
    out = b""
    err = b""
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(r, selectors.EVENT_READ, "out")
    sel.register(re_, selectors.EVENT_READ, "err")
    open_fds = 2
    while open_fds:
        for key, _ in sel.select():
            chunk = os.read(key.fd, 65536)
            if not chunk:
                sel.unregister(key.fd); os.close(key.fd); open_fds -= 1
            elif key.data == "out":
                out += chunk
            else:
                err += chunk
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    return wall, ru.ru_maxrss, out.decode(errors="replace"), err.decode(errors="replace"), os.waitstatus_to_exitcode(status)


class Target:
    def __init__(self, exe, extra_threads, depth):
        self.dir = tempfile.mkdtemp(prefix="corostack-bench-")
        r, w = os.pipe()
        truth = os.path.join(self.dir, "truth")
        self.proc = subprocess.Popen([exe, str(w), truth, "--threads", str(extra_threads), "--depth", str(depth)],
                                     pass_fds=(w,), start_new_session=True)
        os.close(w)
        with os.fdopen(r) as f:
            if f.readline().strip() != "ready":
                raise SystemExit("target did not become ready")
        self.pid = self.proc.pid
        self.threads = len(os.listdir(f"/proc/{self.pid}/task"))

    def close(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def bench(name, argv, runs, rows, pause_from=None, check=None):
    walls, rss, pauses = [], [], []
    for _ in range(runs):
        wall, maxrss, out, err, rc = run_rusage(argv)
        if rc not in (0, 1):
            print(f"  {name}: exit {rc}: {err.strip()[:300]}", file=sys.stderr)
        if check:
            check(out, err)
        walls.append(wall)
        rss.append(maxrss)
        if pause_from:
            p = pause_from(out, err)
            if p is not None:
                pauses.append(p)
    row = {"what": name, "wall_ms": statistics.median(walls) * 1e3, "rss_mib": max(rss) / 1024.0,
           "pause_ms": statistics.median(pauses) if pauses else None, "runs": runs}
    rows.append(row)
    print(f"  {name}: {row['wall_ms']:.1f} ms, {row['rss_mib']:.1f} MiB" +
          (f", pause {row['pause_ms']:.3f} ms" if row['pause_ms'] is not None else ""), file=sys.stderr)
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--gdb-runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=50)
    ap.add_argument("--depth", type=int, default=20)
    args = ap.parse_args()
    corostack = os.path.join(args.build, "src", "corostack")
    exe = os.path.join(args.build, "tests", "native_threads_O2")
    # native_threads has 7 fixed threads (main + 6 named); the rest are deep-K threads.
    target = Target(exe, max(0, args.threads - 7), args.depth)
    rows = []
    work = target.dir
    try:
        print(f"target pid {target.pid}: {target.threads} threads", file=sys.stderr)
        pid = str(target.pid)
        pause_json = lambda out, err: json.loads(out)["pause_ns"] / 1e6
        bench("corostack dump -p (live)", [corostack, "dump", "-p", pid, "--json"], args.runs, rows, pause_from=pause_json)
        bench("corostack dump --no-lines -p (live)", [corostack, "dump", "--no-lines", "-p", pid, "--json"], args.runs,
              rows, pause_from=pause_json)
        bench("eu-stack -s -i -p (live, lines + inlines)", ["eu-stack", "-s", "-i", "-p", pid], args.runs, rows)
        bench("eu-stack -p (live, symbols only)", ["eu-stack", "-p", pid], args.runs, rows)
        bench("gdb -batch thread apply all bt (live)",
              ["gdb", "-batch", "-nx", "-p", pid, "-ex", "thread apply all bt"], args.gdb_runs, rows)

        # The usual production machine has no distro debug packages: hide
        # /usr/lib/debug in a private mount namespace (root only) for both tools.
        if os.geteuid() == 0 and shutil.which("unshare"):
            hide = ["unshare", "-m", "sh", "-c", 'mount -t tmpfs none /usr/lib/debug && exec "$@"', "sh"]
            bench("corostack dump -p (live, no /usr/lib/debug)", hide + [corostack, "dump", "-p", pid], args.runs, rows)
            bench("gdb thread apply all bt (live, no /usr/lib/debug)",
                  hide + ["gdb", "-batch", "-nx", "-p", pid, "-ex", "thread apply all bt"], args.gdb_runs, rows)

        ours = os.path.join(work, "ours.core")
        theirs = os.path.join(work, "gdb.core")

        def gcore_pause(out, err):
            m = re.search(r"paused ([0-9.]+) ms", err)
            return float(m.group(1)) if m else None
        bench("corostack gcore -p", [corostack, "gcore", "-p", pid, "-o", ours], args.runs, rows, pause_from=gcore_pause)
        bench("gdb gcore", ["gdb", "-batch", "-nx", "-p", pid, "-ex", f"gcore {theirs}"], args.gdb_runs, rows)

        bench("corostack dump --core", [corostack, "dump", "--core", ours], args.runs, rows)
        bench("corostack dump --no-lines --core", [corostack, "dump", "--no-lines", "--core", ours], args.runs, rows)
        bench("eu-stack -s -i --core", ["eu-stack", "-s", "-i", f"--core={ours}", f"--executable={exe}"], args.runs, rows)
        bench("eu-stack --core", ["eu-stack", f"--core={ours}", f"--executable={exe}"], args.runs, rows)
        bench("gdb thread apply all bt (core)",
              ["gdb", "-batch", "-nx", exe, ours, "-ex", "thread apply all bt"], args.gdb_runs, rows)
        # Apparent size and blocks actually written (our cores leave untouched pages as holes).
        sizes = {p: (os.path.getsize(p), os.stat(p).st_blocks * 512) for p in (ours, theirs) if os.path.exists(p)}
    finally:
        target.close()

    print(f"Target: native_threads_O2, {target.threads} threads, extra threads {args.depth} calls deep; "
          f"{os.cpu_count()} CPUs; median of {args.runs} runs ({args.gdb_runs} for gdb).\n")
    print("| command | wall (ms) | peak RSS (MiB) | target pause (ms) |")
    print("|---|---:|---:|---:|")
    for r in rows:
        pause = f"{r['pause_ms']:.3f}" if r["pause_ms"] is not None else "—"
        print(f"| {r['what']} | {r['wall_ms']:.1f} | {r['rss_mib']:.1f} | {pause} |")
    print()
    for p, (apparent, on_disk) in sizes.items():
        print(f"- core {os.path.basename(p)}: {apparent / 2**20:.1f} MiB apparent, {on_disk / 2**20:.1f} MiB on disk")


if __name__ == "__main__":
    main()
