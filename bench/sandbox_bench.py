#!/usr/bin/env python3
"""Sandbox benchmark (issue 20): what the seccomp analysis sandbox costs.

Wall time of `dump --json` (native, 1000 threads), `dump --json` of a Python
asyncio process (--native --locals) and `record --native` round cost, each with
the sandbox (default) and without (COROSTACK_NO_SANDBOX=1, honoured for root
only). Median of N runs, interleaved so drift hits both alike.
"""
import argparse, os, statistics, subprocess, sys, tempfile, time

from doctor_bench import start  # same protocol: ready on a pipe, then asleep


def timed(argv, runs):
    on, off = [], []
    env_off = dict(os.environ, COROSTACK_NO_SANDBOX="1")
    for _ in range(runs):
        for env, out in ((None, on), (env_off, off)):
            t = time.perf_counter()
            r = subprocess.run(argv, capture_output=True, env=env)
            out.append(time.perf_counter() - t)
            if r.returncode not in (0, 1):
                raise SystemExit("failed: %s\n%s" % (argv, r.stderr.decode()))
    return statistics.median(on), statistics.median(off)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--python", default=os.path.expanduser("~/.pyenv/versions/3.12.1/bin/python3.12"))
    a = ap.parse_args()
    cs = os.path.join(a.build, "src", "corostack")
    tmp = tempfile.mkdtemp()
    here = os.path.dirname(os.path.abspath(__file__))
    script = os.path.join(here, "..", "tests", "targets", "python", "py_asyncio.py")
    cases = [
        ("dump --native --json, 1000 threads",
         [os.path.join(a.build, "tests", "many_threads"), "{ready_fd}", os.path.join(tmp, "t1"),
          "--threads", "1000"], ["dump", "--native", "--json"]),
        ("dump --native --locals --json, asyncio 3.12",
         [a.python, script, "{ready_fd}", os.path.join(tmp, "t2")],
         ["dump", "--native", "--locals", "--json"]),
        ("record --native -r 100 -d 2, asyncio 3.12",
         [a.python, script, "{ready_fd}", os.path.join(tmp, "t3")],
         ["record", "--native", "-r", "100", "-d", "2", "-f", "folded", "-o", os.devnull]),
    ]
    rows = []
    for name, target, args in cases:
        p = start(target, tmp)
        try:
            on, off = timed([cs] + args + ["-p", str(p.pid)], a.runs)
            rows.append((name, on, off))
        finally:
            os.killpg(p.pid, 9)
            p.wait()
    print("| command | sandbox on (s) | sandbox off (s) | cost |")
    print("|---|---|---|---|")
    for name, on, off in rows:
        print("| %s | %.3f | %.3f | %+.1f %% |" % (name, on, off, (on - off) / off * 100))


if __name__ == "__main__":
    sys.exit(main())
