# -*- coding: utf-8 -*-
"""Python test target for the sampler: a known split of CPU time.

Usage: python py_cpu_split.py <ready_fd> <truth_path> [--async] [--exit-after SECONDS]

<ready_fd> "-1" and <truth_path> "-" mean none (for `record -- CMD`).
Runs unchanged on CPython 2.7 and 3.6-3.13 (standard library only; the
--async coroutines are in py_cpu_split_async.py, which 2.7 cannot parse).

Threads (threading names; the OS thread name is set to the same):
  burner   (not with --async) forever: hot() then warm(); hot() does HOT_UNITS units of fixed
           work, warm() WARM_UNITS (3:1), so ~75 % of the thread's CPU time
           is in hot() and ~25 % in warm(). Both call work(), so hot and warm
           are never the leaf; the stack is burner_main -> hot|warm -> work.
  sleeper  time.sleep() forever (never runs; idle)
  aloop    (--async, 3.8+) an asyncio loop running two tasks named busy_a and
           busy_b; each forever calls spin_a() / spin_b() (a fixed amount of
           work) then yields with asyncio.sleep(0). Its loop's current task
           is whichever is in its spin function.
The main thread blocks in os.read() of a pipe nobody writes (or, with
--exit-after S, sleeps S seconds after ready, then exits with status 0).

Before signalling, the burner runs a calibration of CALIBRATION_SECONDS of
its CPU time, timing hot() and warm() from inside with the thread's CPU
clock (time.thread_time; wall time would charge preemption on a busy machine
to whichever ran), and the split it measured is written to the truth.
With --async there is no burner (the loop's tasks get the GIL to themselves)
and no calibration: measured_hot_share is null.

Truth (JSON, written to <truth_path>.tmp then renamed):
  {"pid", "python": "3.11.7", "version_info": [3, 11, 7], "script",
   "threads": [{"name", "tid"}],   (burner, sleeper, aloop when present, main)
   "functions": {"hot": {"file", "line"}, "warm": ..., "work": ...,
                 "spin_a": ..., "spin_b": ...}   (line: co_firstlineno)
   "measured_hot_share": hot / (hot + warm) CPU time during calibration
                         (null with --async),
   "async": bool, "tasks": ["busy_a", "busy_b"] (when async)}
"""
import json
import os
import sys
import threading
import time

SCRIPT = os.path.abspath(__file__)
HOT_UNITS = 3
WARM_UNITS = 1
UNIT_LOOPS = 4000
CALIBRATION_SECONDS = 0.6  # of the burner's CPU time

stats = {'hot': 0.0, 'warm': 0.0}
calibrated = threading.Event()


def set_os_thread_name(name):
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except Exception:
        pass


def native_id():
    try:
        return threading.get_native_id()
    except AttributeError:  # < 3.8
        import ctypes
        return ctypes.CDLL(None).syscall(186)  # gettid


def work(n):
    x = 0
    for i in range(n * UNIT_LOOPS):
        x += i * i
    return x


def hot():
    return work(HOT_UNITS)


def warm():
    return work(WARM_UNITS)


def thread_cpu_clock():
    # CPU time of this thread, not wall time: on a busy machine the thread
    # is preempted at random, which wall time would charge to hot or warm.
    try:
        return time.thread_time  # 3.7+
    except AttributeError:
        pass
    if hasattr(time, 'clock_gettime'):  # 3.3+
        return lambda: time.clock_gettime(time.CLOCK_THREAD_CPUTIME_ID)
    # 2.7: clock_gettime(CLOCK_THREAD_CPUTIME_ID) through ctypes.
    import ctypes

    class Timespec(ctypes.Structure):
        _fields_ = [('tv_sec', ctypes.c_long), ('tv_nsec', ctypes.c_long)]

    clock_gettime = ctypes.CDLL(None).clock_gettime
    clock_thread_cputime_id = 3

    def clock():
        ts = Timespec()
        clock_gettime(clock_thread_cputime_id, ctypes.byref(ts))
        return ts.tv_sec + ts.tv_nsec * 1e-9
    return clock


def burner_main(tids):
    set_os_thread_name('burner')
    tids['burner'] = native_id()
    clock = thread_cpu_clock()
    start = clock()
    while True:
        t0 = clock()
        hot()
        t1 = clock()
        warm()
        t2 = clock()
        stats['hot'] += t1 - t0
        stats['warm'] += t2 - t1
        if t2 - start >= CALIBRATION_SECONDS:
            break
    calibrated.set()
    # From here on no clock calls (a system call each): hot and warm only.
    while True:
        hot()
        warm()


def sleeper_main(tids):
    set_os_thread_name('sleeper')
    tids['sleeper'] = native_id()
    while True:
        time.sleep(3600)


def spin_a():
    return work(1)


def spin_b():
    return work(1)


def aloop_main(tids, started):
    # The coroutines live in their own module: `async def` does not parse on 2.7.
    from py_cpu_split_async import run_loop
    set_os_thread_name('aloop')
    tids['aloop'] = native_id()
    run_loop(spin_a, spin_b, started)


def code_info(fn):
    c = fn.__code__
    return {'file': os.path.abspath(c.co_filename), 'line': c.co_firstlineno}


def main(argv):
    args = argv[1:]
    use_async = '--async' in args
    if use_async:
        args.remove('--async')
    exit_after = None
    if '--exit-after' in args:
        i = args.index('--exit-after')
        exit_after = float(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        sys.stderr.write('usage: %s <ready_fd> <truth_path> [--async] [--exit-after S]\n' % argv[0])
        return 2
    ready_fd = int(args[0])
    truth_path = args[1]

    tids = {'main': native_id()}
    threads = [threading.Thread(target=sleeper_main, args=(tids,), name='sleeper')]
    started = threading.Event()
    if use_async:
        threads.append(threading.Thread(target=aloop_main, args=(tids, started), name='aloop'))
        calibrated.set()
    else:
        threads.append(threading.Thread(target=burner_main, args=(tids,), name='burner'))
        started.set()
    for t in threads:
        t.daemon = True
        t.start()
    if not calibrated.wait(30) or not started.wait(30):
        sys.stderr.write('py_cpu_split: threads did not start\n')
        return 1
    total = stats['hot'] + stats['warm']
    funcs = {'hot': code_info(hot), 'warm': code_info(warm), 'work': code_info(work),
             'spin_a': code_info(spin_a), 'spin_b': code_info(spin_b),
             'burner_main': code_info(burner_main)}
    truth = {
        'pid': os.getpid(),
        'python': '%d.%d.%d' % sys.version_info[:3],
        'version_info': list(sys.version_info[:3]),
        'script': SCRIPT,
        'threads': [{'name': n, 'tid': tids[n]} for n in sorted(tids)],
        'functions': funcs,
        'measured_hot_share': stats['hot'] / total if total > 0 else None,
        'async': use_async,
        'tasks': ['busy_a', 'busy_b'] if use_async else [],
    }
    if truth_path != '-':
        tmp = truth_path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(truth, f, indent=1, sort_keys=True)
        os.rename(tmp, truth_path)
    if ready_fd >= 0:
        os.write(ready_fd, b'ready\n')
        os.close(ready_fd)
    if exit_after is not None:
        time.sleep(exit_after)
        os._exit(0)
    r, w = os.pipe()
    os.read(r, 1)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
