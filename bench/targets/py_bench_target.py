# -*- coding: utf-8 -*-
"""Benchmark target for bench/python_dump_bench.py.

Usage: python py_bench_target.py <ready_fd> [--threads N]

Starts N threads (default 10), each 5 Python calls deep
(level1 -> level2 -> level3 -> level4 -> level5, level1 being the thread's
target) and blocked in time.sleep(3600) in level5. Once every thread has
entered level5, writes "ready <pid> <N>\n" to <ready_fd> and closes it; the
main thread then sleeps as well. The driver still waits until every thread
is in state S (/proc/PID/task/*/stat) before measuring.

Runs unchanged on CPython 3.6-3.13 (no f-strings, no walrus).
"""
import os
import sys
import threading
import time

SLEEP_SECONDS = 3600

started = threading.Semaphore(0)


def level5():
    started.release()
    while True:
        time.sleep(SLEEP_SECONDS)


def level4():
    level5()


def level3():
    level4()


def level2():
    level3()


def level1():
    level2()


def main():
    if len(sys.argv) not in (2, 4) or (len(sys.argv) == 4 and sys.argv[2] != '--threads'):
        sys.stderr.write(__doc__)
        sys.exit(64)
    fd = int(sys.argv[1])
    threads = int(sys.argv[3]) if len(sys.argv) == 4 else 10
    for i in range(threads):
        t = threading.Thread(target=level1, name='bench-%d' % i)
        t.daemon = True
        t.start()
    for _ in range(threads):
        started.acquire()
    os.write(fd, ('ready %d %d\n' % (os.getpid(), threads)).encode('ascii'))
    os.close(fd)
    while True:
        time.sleep(SLEEP_SECONDS)


if __name__ == '__main__':
    main()
