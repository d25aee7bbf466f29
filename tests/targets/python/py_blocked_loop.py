"""An asyncio service whose event loop is blocked by one of its tasks.

Usage: python py_blocked_loop.py <ready_fd> <truth_path> <mode>

Modes:
  sleep  task "slowpoke" calls time.sleep inside its coroutine (slow_handler)
  recv   task "slowpoke" calls a blocking socket.recv (slow_handler)
  cpu    task "slowpoke" spins in a CPU loop on one line (slow_handler)
  idle   the loop waits in its selector; every task awaits something (healthy)

In the blocked modes five other tasks were created after slowpoke, so their
first steps wait in the loop's ready queue while slowpoke blocks. The truth
(JSON: pid, the loop thread's tid, the blocking line, len(loop._ready) as
the task itself saw it) is written just before the blocking call; the test
waits until every thread sleeps before it looks.
"""
import asyncio
import json
import os
import socket
import sys
import threading
import time


def native_tid():
    if hasattr(threading, 'get_native_id'):
        return threading.get_native_id()
    return os.getpid()


def write_truth(state):
    ready_fd, truth_path = state['ready_fd'], state['truth_path']
    with open(truth_path + '.tmp', 'w') as f:
        json.dump(state['truth'], f)
    os.rename(truth_path + '.tmp', truth_path)
    os.write(ready_fd, b'ready\n')
    os.close(ready_fd)


async def slow_handler(state, mode):
    loop = asyncio.get_running_loop()
    truth = state['truth']
    truth['ready'] = len(loop._ready)
    truth['function'] = 'slow_handler'
    if mode == 'sleep':
        truth['line'] = sys._getframe().f_lineno + 3
        write_truth(state)
        while True:
            time.sleep(3600)
    elif mode == 'cpu':
        truth['line'] = sys._getframe().f_lineno + 3
        write_truth(state)
        n = 0
        while True: n += 1  # noqa: E701 -- one line on purpose
    else:
        a, b = socket.socketpair()
        state['keep'] = (a, b)
        truth['line'] = sys._getframe().f_lineno + 3
        write_truth(state)
        while True:
            a.recv(1)


async def worker(i):
    await asyncio.sleep(0)


async def idle_waiter(event):
    await event.wait()


async def main(state, mode):
    loop = asyncio.get_running_loop()
    state['truth'] = {'pid': os.getpid(), 'loop_tid': native_tid(), 'mode': mode}
    if mode == 'idle':
        event = asyncio.Event()
        tasks = [loop.create_task(idle_waiter(event)) for _ in range(3)]
        await asyncio.sleep(0)
        write_truth(state)
        await asyncio.gather(*tasks)
        return
    slow = loop.create_task(slow_handler(state, mode))
    slow.set_name('slowpoke')
    others = [loop.create_task(worker(i)) for i in range(5)]
    await asyncio.gather(slow, *others)


if __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.exit('usage: %s <ready_fd> <truth_path> <mode>' % sys.argv[0])
    state = {'ready_fd': int(sys.argv[1]), 'truth_path': sys.argv[2]}
    asyncio.run(main(state, sys.argv[3]))
