# -*- coding: utf-8 -*-
"""Python test target for the churn soak (tests/e2e/churn_test.cpp).

Usage: python py_churn.py <ready_fd>

Runs unchanged on CPython 3.8-3.13. Never in a stable state: as fast as it
can it
  - creates and ends threads: a spawner thread starts a thread (named
    churn-N) that calls a few functions and returns, joins it, and repeats;
  - creates and ends asyncio tasks: the main thread's loop runs batches of 32
    tasks (named churn_task_N) that each await asyncio.sleep(0) a few times
    through a two-deep coroutine stack, and gathers them;
while 8 tasks (parked_N) sleep for good and one thread (parked_thread)
sleeps in time.sleep. Writes "ready\\n" to ready_fd after the first batch;
there is no truth file.
"""
import asyncio
import os
import sys
import threading
import time


def short_work(n):
    total = 0
    for i in range(50):
        total += i * n
    return total


def spawner():
    n = 0
    while True:
        t = threading.Thread(target=short_work, args=(n,), name='churn-%d' % n)
        t.start()
        t.join()
        n += 1


def parked_thread():
    while True:
        time.sleep(3600)


async def churn_inner(n):
    for _ in range(3):
        await asyncio.sleep(0)
    return n


async def churn_outer(n):
    return await churn_inner(n)


async def parked():
    await asyncio.sleep(3600)


async def main(ready_fd):
    loop = asyncio.get_running_loop()
    keep = [loop.create_task(parked(), name='parked_%d' % i) for i in range(8)]
    for target, name in ((spawner, 'spawner'), (parked_thread, 'parked_thread')):
        t = threading.Thread(target=target, name=name)
        t.daemon = True
        t.start()
    n = 0
    ready = False
    while True:
        batch = [loop.create_task(churn_outer(n + i), name='churn_task_%d' % (n + i))
                 for i in range(32)]
        await asyncio.gather(*batch)
        n += 32
        if not ready:
            os.write(ready_fd, b'ready\n')
            os.close(ready_fd)
            ready = True
    return keep


def run(argv):
    if len(argv) != 2:
        sys.stderr.write('usage: %s <ready_fd>\n' % argv[0])
        sys.exit(1)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(main(int(argv[1])))


if __name__ == '__main__':
    run(sys.argv)
