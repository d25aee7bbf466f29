#!/usr/bin/env python3
"""doctor benchmark: `corostack doctor` on a 1000-thread process (goal: ≤ 1 s,
pause as dump's) and on a small deadlocked one, beside `dump --native` on the
same process (what doctor reads first).

Targets: tests' many_threads (--threads 1000: half in read(), half in
pthread_cond_wait) and lock_deadlock_O2 abba. Wall time is the median of N
runs; the pause is what doctor reports (--json pause_ns).
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time


def start(argv, tmp):
    r, w = os.pipe()
    argv = [a.replace("{ready_fd}", str(w)) for a in argv]
    p = subprocess.Popen(argv, pass_fds=(w,), stdout=subprocess.DEVNULL, start_new_session=True)
    os.close(w)
    with os.fdopen(r) as f:
        if f.readline() != "ready\n":
            raise SystemExit("target not ready: %s" % argv)
    time.sleep(0.2)  # the last threads go to sleep
    return p


def timed(argv, runs):
    walls, pauses = [], []
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run(argv, capture_output=True, text=True)
        walls.append(time.perf_counter() - t)
        if "--json" in argv:
            pauses.append(json.loads(out.stdout).get("pause_ns", 0) / 1e6)
    return statistics.median(walls), (statistics.median(pauses) if pauses else None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    cs = os.path.join(a.build, "src", "corostack")
    tmp = tempfile.mkdtemp()
    rows = []
    cases = [("1000 threads idle", [os.path.join(a.build, "tests", "many_threads"), "{ready_fd}",
                                    os.path.join(tmp, "t1"), "--threads", "1000"]),
             ("2-thread deadlock", [os.path.join(a.build, "tests", "lock_deadlock_O2"), "{ready_fd}",
                                    os.path.join(tmp, "t2"), "abba"])]
    for name, argv in cases:
        p = start(argv, tmp)
        try:
            pid = str(p.pid)
            d_wall, d_pause = timed([cs, "doctor", "--json", "-p", pid], a.runs)
            n_wall, n_pause = timed([cs, "dump", "--native", "--json", "-p", pid], a.runs)
            rows.append((name, d_wall, d_pause, n_wall, n_pause))
        finally:
            os.killpg(p.pid, 9)
            p.wait()
    print("| target | doctor wall (s) | doctor pause (ms) | dump --native wall (s) | dump pause (ms) |")
    print("|---|---|---|---|---|")
    for name, dw, dp, nw, np_ in rows:
        print("| %s | %.3f | %.2f | %.3f | %.2f |" % (name, dw, dp, nw, np_))


if __name__ == "__main__":
    main()
