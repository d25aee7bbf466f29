#!/usr/bin/env python3
"""trace benchmark (issue 16): what `corostack trace` costs next to strace.

(a) bench getppid_loop (C): 200 000 getppid calls, timed by the target itself:
    bare, strace -f, strace -f -c, corostack trace (full output, -c), each
    backend available; the slowdown against bare.
(b) bench/targets/http_server.py, a threaded HTTP server on 127.0.0.1, under
    a bounded local load loop (REQUESTS keep-alive-less GETs from one client
    thread): requests per second bare, under strace -f -p, under corostack
    trace -p (full output, -c); the throughput lost.
(c) bench/targets/py_getppid.py: Python getppid calls traced (-p, once the
    target waits to start) without and with --py, each backend: the cost
    --py adds per call, and how many calls came with their Python line.
Output goes to /dev/null (-o) everywhere: the tracer's work is measured, not
the terminal's. Medians of RUNS. Python 3 stdlib only; Markdown to stdout.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def timed_target(cmd):
    """Runs cmd; returns the seconds the target printed for its own loop."""
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
    return float(out.decode().split()[-1])


def tracers(corostack, backends):
    t = [("strace -f", ["strace", "-f", "-o", "/dev/null"]),
         ("strace -f -c", ["strace", "-f", "-c", "-o", "/dev/null"])]
    for b in backends:
        t.append(("corostack trace (%s)" % b, [corostack, "trace", "--backend", b, "-o", "/dev/null"]))
        # In the kernel -c counts latency (-w); ptrace measures CPU time as strace.
        count = ["-c", "-w"] if b == "bpf" else ["-c"]
        t.append(("corostack trace %s (%s)" % (" ".join(count), b),
                  [corostack, "trace", "--backend", b] + count + ["-o", "/dev/null"]))
    return t


def bench_loop(build, corostack, backends, runs, calls):
    exe = os.path.join(build, "bench", "getppid_loop")
    rows = [("bare", [])] + tracers(corostack, backends)
    results = {}
    for label, prefix in rows:
        cmd = prefix + (["--"] if prefix and prefix[0] == corostack else []) + [exe, str(calls)]
        times = [timed_target(cmd) for _ in range(runs)]
        results[label] = statistics.median(times)
        log("loop", label, results[label])
    print("### (a) %d getppid calls (C loop), median of %d\n" % (calls, runs))
    print("| run | seconds | vs bare |")
    print("|---|---:|---:|")
    for label, _ in rows:
        print("| %s | %.3f | %.1f× |" % (label, results[label], results[label] / results["bare"]))
    print()


def load(port, requests):
    start = time.time()
    for _ in range(requests):
        with urllib.request.urlopen("http://127.0.0.1:%d/" % port) as r:
            r.read()
    return requests / (time.time() - start)


def bench_http(corostack, backends, runs, requests, python):
    rows = [("bare", None)] + tracers(corostack, backends)
    results = {}
    for label, prefix in rows:
        rates = []
        for _ in range(runs):
            server = subprocess.Popen([python, os.path.join(HERE, "targets", "http_server.py")],
                                      stdout=subprocess.PIPE)
            port = int(server.stdout.readline())
            tracer = None
            try:
                if prefix:
                    err = tempfile.TemporaryFile()
                    tracer = subprocess.Popen(prefix + ["-p", str(server.pid)], stderr=err)
                    wait_attached(err)
                rates.append(load(port, requests))
            finally:
                if tracer:
                    tracer.terminate()
                    tracer.wait(30)
                server.kill()
                server.wait()
        results[label] = statistics.median(rates)
        log("http", label, results[label])
    print("### (b) threaded HTTP server, %d requests from one client, median of %d\n"
          % (requests, runs))
    print("| run | requests/s | throughput lost |")
    print("|---|---:|---:|")
    for label, _ in rows:
        lost = 100.0 * (1 - results[label] / results["bare"])
        print("| %s | %.0f | %.1f %% |" % (label, results[label], lost))
    print()


def wait_attached(err, timeout=10):
    """Until the tracer says "Process N attached" (strace and corostack both
    do, once they trace it; the in-kernel backend sets no TracerPid)."""
    until = time.time() + timeout
    while time.time() < until:
        err.seek(0)
        if b"attached" in err.read():
            return
        time.sleep(0.005)
    raise RuntimeError("the tracer never attached")


def attached_py_run(python, script, calls, prefix, out):
    """py_getppid.py started, traced with prefix + -p (none: bare), let go;
    returns the seconds it printed."""
    target = subprocess.Popen([python, script, str(calls), "--wait"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)
    tracer = None
    try:
        assert target.stdout.readline().strip() == b"ready"
        if prefix:
            err = tempfile.TemporaryFile()
            tracer = subprocess.Popen(prefix + ["-o", out, "-p", str(target.pid)], stderr=err)
            wait_attached(err)
        target.stdin.write(b"go\n")
        target.stdin.flush()
        seconds = float(target.stdout.readline())
        target.wait(60)
        return seconds
    finally:
        if tracer:
            tracer.wait(60)  # ends when the target exits
        if target.poll() is None:
            target.kill()
            target.wait()


def bench_py(corostack, backends, runs, calls, python):
    """Traced with -p once the target waits, so every call is a Python one
    and (in the kernel too) carries its stack; the output is kept to count
    the calls that came with their Python line."""
    script = os.path.join(HERE, "targets", "py_getppid.py")
    results, attributed = {}, {}
    rows = [("bare", [])]
    for b in backends:
        base = [corostack, "trace", "--backend", b, "-e", "trace=getppid"]
        rows.append(("trace (%s)" % b, base))
        rows.append(("trace --py (%s)" % b, base[:2] + ["--py"] + base[2:]))
    out = tempfile.NamedTemporaryFile(suffix=".trace")
    for label, prefix in rows:
        times = []
        for _ in range(runs):
            times.append(attached_py_run(python, script, calls, prefix, out.name))
            if "--py" in label:
                with open(out.name, errors="replace") as f:
                    attributed[label] = sum(1 for line in f if line.startswith(" > inner ("))
        results[label] = statistics.median(times)
        log("py", label, results[label])
    print("### (c) --py: %d os.getppid() calls from Python (-p), median of %d\n" % (calls, runs))
    print("| run | seconds | µs per call | --py adds per call | calls shown with their line |")
    print("|---|---:|---:|---:|---:|")
    for label, _ in rows:
        extra, shown = "", ""
        if "--py" in label:
            base = results[label.replace(" --py", "")]
            extra = "%.1f µs" % ((results[label] - base) / calls * 1e6)
            shown = "%d" % attributed.get(label, 0)
        print("| %s | %.3f | %.2f | %s | %s |" % (label, results[label],
                                                   results[label] / calls * 1e6, extra, shown))
    print()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--calls", type=int, default=200000)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--py-calls", type=int, default=50000)
    ap.add_argument("--backends", default="ptrace")
    ap.add_argument("--python", default="python3")
    ap.add_argument("--parts", default="a,b,c", help="which of the three benchmarks to run")
    a = ap.parse_args()
    parts = a.parts.split(",")
    corostack = os.path.abspath(os.path.join(a.build, "src", "corostack"))
    backends = a.backends.split(",")
    print("## corostack trace against strace\n")
    if "a" in parts:
        bench_loop(a.build, corostack, backends, a.runs, a.calls)
    if "b" in parts:
        bench_http(corostack, backends, a.runs, a.requests, a.python)
    if "c" in parts:
        bench_py(corostack, backends, a.runs, a.py_calls, a.python)


if __name__ == "__main__":
    main()
