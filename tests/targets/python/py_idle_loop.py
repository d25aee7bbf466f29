"""An asyncio service with nothing to do: the ground truth for "do no harm".

Usage: python py_idle_loop.py <ready_fd> <truth_path>

The main thread runs an event loop whose tasks all wait forever (an Event
never set, a Queue never fed, a socket whose peer never sends), so the loop
thread sleeps in epoll_wait with no timeout and nothing should ever wake it.
Every wake-up shows in the kernel's context-switch counters of that thread
(/proc/PID/task/TID/status), which the test reads before and after sampling
it: a tool that interrupts it (PTRACE_INTERRUPT makes epoll_wait return
EINTR; CPython retries it silently, PEP 475) adds switches; one that leaves
it alone adds none. The truth (JSON: pid, the loop thread's tid, task names)
is written, then "ready\n" goes to ready_fd, then the loop blocks forever.
"""
import asyncio
import json
import os
import socket
import sys
import threading


async def wait_event(event):
    await event.wait()


async def wait_queue(queue):
    await queue.get()


async def wait_socket(sock):
    loop = asyncio.get_running_loop()
    await loop.sock_recv(sock, 1)


async def main(ready_fd, truth_path):
    event = asyncio.Event()
    queue = asyncio.Queue()
    a, b = socket.socketpair()
    a.setblocking(False)
    loop = asyncio.get_running_loop()
    tasks = [
        loop.create_task(wait_event(event)),
        loop.create_task(wait_queue(queue)),
        loop.create_task(wait_socket(a)),
    ]
    for i, t in enumerate(tasks):
        if hasattr(t, 'set_name'):
            t.set_name('idle_%d' % i)
    await asyncio.sleep(0)  # let them all block
    tid = threading.get_native_id() if hasattr(threading, 'get_native_id') else os.getpid()
    with open(truth_path + '.tmp', 'w') as f:
        json.dump({'pid': os.getpid(), 'loop_tid': tid,
                   'tasks': ['idle_%d' % i for i in range(len(tasks))]}, f)
    os.rename(truth_path + '.tmp', truth_path)
    os.write(ready_fd, b'ready\n')
    os.close(ready_fd)
    await asyncio.gather(*tasks)
    b.close()


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit('usage: %s <ready_fd> <truth_path>' % sys.argv[0])
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
