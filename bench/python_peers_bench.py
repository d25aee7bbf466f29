#!/usr/bin/env python3
"""A Python-only live dump against austin's where-mode (`austin -w PID`) and
`pystack remote`, and `dump --native` against `pystack remote --native` and
its own no-DWARF form, on the same process in one run.

austin and pystack are not part of this project: build them yourself,
outside the repository, and pass them with --austin and --pystack (their
rows are left out without them). Target: a pyenv CPython (default 3.12.1) with 4 threads asleep in Python
code. Medians of N runs timed with perf_counter around the whole command.
"""
import argparse, os, signal, statistics, subprocess, sys, time


def timed(argv, runs):
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - start)
        if r.returncode not in (0, 1):
            print(f"  {argv[0]}: exit {r.returncode}", file=sys.stderr)
    return statistics.median(walls) * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--python", default=os.path.expanduser("~/.pyenv/versions/3.12.1/bin/python3.12"))
    ap.add_argument("--austin", help="austin binary (built outside the repository)")
    ap.add_argument("--pystack", help="command that runs pystack, e.g. 'env PYTHONPATH=... python -m "
                                      "pystack' (built outside the repository)")
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args()
    cs = os.path.join(args.build, "src", "corostack")
    code = ("import threading, time\n"
            "def nap():\n    time.sleep(10000)\n"
            "for _ in range(4): threading.Thread(target=nap, daemon=True).start()\n"
            "print('ready', flush=True)\nnap()\n")
    proc = subprocess.Popen([args.python, "-c", code], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit("target did not start")
        time.sleep(0.2)
        pid = str(proc.pid)
        rows = [("corostack dump -p (Python frames)", timed([cs, "dump", "-p", pid], args.runs))]
        if args.austin:
            rows.append(("austin -w (where mode)", timed([args.austin, "-w", pid], args.runs)))
        if args.pystack:
            rows.append(("pystack remote", timed(args.pystack.split() + ["remote", pid], args.runs)))
        rows.append(("corostack dump -p --native", timed([cs, "dump", "-p", pid, "--native"], args.runs)))
        if args.pystack:
            rows.append(("pystack remote --native",
                         timed(args.pystack.split() + ["remote", pid, "--native"], args.runs)))
        rows.append(("corostack dump -p --native --no-lines",
                     timed([cs, "dump", "-p", pid, "--native", "--no-lines"], args.runs)))
        rows.append(("corostack --version (process start)", timed([cs, "--version"], args.runs)))
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    print(f"Target: {args.python}, 5 threads; medians of {args.runs} runs")
    print()
    print("| what | wall (median) |")
    print("|---|---:|")
    for what, ms in rows:
        print(f"| {what} | {ms:.1f} ms |")


if __name__ == "__main__":
    main()
